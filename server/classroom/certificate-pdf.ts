import { PDFDocument, rgb, StandardFonts, type PDFFont, type PDFPage } from 'pdf-lib';
import type { Locale } from '../../src/contracts/locales.ts';
import { certificateDate, certificateText } from './certificate-texts.ts';

export interface CertificateContent {
  locale: Locale;
  name: string;
  moduleTitle: string;
  issuedAt: number;
  certificateId: string;
  verifyUrl: string;
}

/** The standard fonts encode WinAnsi (Latin-1 and a few more): anything else becomes "?", never an error. */
function encodable(font: PDFFont, text: string): string {
  const known = new Set(font.getCharacterSet());
  return [...text].map((ch) => (known.has(ch.codePointAt(0)!) ? ch : '?')).join('');
}

/** One centred line, shrunk until it fits the width. */
function centred(page: PDFPage, font: PDFFont, text: string, y: number, size: number, color = rgb(0.1, 0.12, 0.14)) {
  const line = encodable(font, text);
  const room = page.getWidth() - 120;
  let fitted = size;
  while (fitted > 6 && font.widthOfTextAtSize(line, fitted) > room) fitted -= 0.5;
  const width = font.widthOfTextAtSize(line, fitted);
  page.drawText(line, { x: (page.getWidth() - width) / 2, y, size: fitted, font, color });
}

/** The certificate as a one-page A4 landscape PDF in the learner's language. */
export async function certificatePdf(c: CertificateContent): Promise<Uint8Array> {
  const t = (key: Parameters<typeof certificateText>[1]) => certificateText(c.locale, key);
  const doc = await PDFDocument.create();
  const issued = new Date(c.issuedAt);
  doc.setTitle(`${t('heading')}: ${c.moduleTitle}`);
  doc.setSubject(`${t('course')}: ${c.moduleTitle}`);
  doc.setAuthor(t('course'));
  doc.setCreator(t('course'));
  doc.setProducer('pdf-lib');
  doc.setLanguage(c.locale);
  doc.setCreationDate(issued);
  doc.setModificationDate(issued);
  const page = doc.addPage([841.89, 595.28]);
  const regular = await doc.embedFont(StandardFonts.Helvetica);
  const bold = await doc.embedFont(StandardFonts.HelveticaBold);
  const accent = rgb(0.04, 0.36, 0.68);
  const muted = rgb(0.29, 0.33, 0.38);
  page.drawRectangle({ x: 24, y: 24, width: 793.89, height: 547.28, borderColor: accent, borderWidth: 3 });
  page.drawRectangle({ x: 34, y: 34, width: 773.89, height: 527.28, borderColor: accent, borderWidth: 0.75 });

  centred(page, regular, t('course'), 500, 16, muted);
  centred(page, bold, t('heading'), 445, 34, accent);
  centred(page, regular, t('certifies'), 385, 15, muted);
  centred(page, bold, c.name, 340, 30);
  centred(page, regular, t('completed'), 295, 15, muted);
  centred(page, bold, c.moduleTitle, 255, 22);
  centred(page, regular, t('ofCourse'), 220, 12, muted);
  centred(page, regular, `${t('date')}: ${certificateDate(c.locale, c.issuedAt)}`, 160, 13);
  centred(page, regular, `${t('certificateId')}: ${c.certificateId}`, 110, 10, muted);
  centred(page, regular, `${t('verifyAt')}: ${c.verifyUrl}`, 90, 9, muted);
  return doc.save();
}
