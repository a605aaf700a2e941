import type { Page } from 'playwright-core';

const visibleScreen = '.terminal-screen:not([hidden])';

/** The visible xterm.js screen as text, one line per row (long lines wrap into several rows). */
export function terminalText(page: Page): Promise<string> {
  return page.evaluate((screen) => {
    const rows = document.querySelectorAll(`${screen} .xterm-rows > div`);
    return [...rows].map((r) => r.textContent ?? '').join('\n');
  }, visibleScreen);
}

export async function waitForTerminal(page: Page, text: string | RegExp, timeout = 15_000): Promise<void> {
  const start = Date.now();
  while (Date.now() - start < timeout) {
    const content = await terminalText(page);
    if (typeof text === 'string' ? content.includes(text) : text.test(content)) return;
    await page.waitForTimeout(100);
  }
  throw new Error(`terminal never showed ${String(text)}:\n${await terminalText(page)}`);
}

/** Focuses the visible terminal and types one line followed by Enter. */
export async function typeInTerminal(page: Page, line: string): Promise<void> {
  await page.locator(`${visibleScreen} .xterm-helper-textarea`).focus();
  await page.keyboard.type(line);
  await page.keyboard.press('Enter');
}
