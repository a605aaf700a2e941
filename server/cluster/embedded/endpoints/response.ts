import type { ServerResponse } from 'node:http';
import { errors, StatusError, type Status } from '../api/status.ts';

/** HTTP Warning header value, as k8s.io/apiserver/pkg/warning writes it. */
export function warningHeader(text: string): string {
  return `299 - ${JSON.stringify(text)}`;
}

export function writeJson(
  res: ServerResponse,
  code: number,
  body: unknown,
  warnings: string[] = [],
  contentType = 'application/json',
): void {
  const payload = JSON.stringify(body);
  const headers: Record<string, string | string[]> = {
    'content-type': contentType,
    'cache-control': 'no-cache, private',
    'content-length': String(Buffer.byteLength(payload)),
  };
  const unique = [...new Set(warnings)];
  if (unique.length) headers.warning = unique.map(warningHeader);
  res.writeHead(code, headers);
  res.end(payload);
}

export function writeStatus(res: ServerResponse, status: Status, warnings: string[] = []): void {
  writeJson(res, status.code, status, warnings);
}

/** Writes any error as a metav1.Status; unexpected ones become 500 InternalError. */
export function writeError(res: ServerResponse, error: unknown, warnings: string[] = []): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (error instanceof StatusError) {
    writeStatus(res, error.status, warnings);
    return;
  }
  console.error('embedded cluster: internal error', error);
  writeStatus(res, errors.internal(error instanceof Error ? error.message : String(error)).status, warnings);
}
