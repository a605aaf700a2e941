import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from '../../src/contracts/protocol.ts';

const maxJsonBody = 64 * 1024;

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string | string[]> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body) + '\n');
}

/** An ApiError as its status and body; anything else as a logged 500 that tells nothing. */
export function sendError(res: ServerResponse, error: unknown): void {
  if (error instanceof ApiError)
    return sendJson(
      res,
      error.status,
      error.body(),
      error.retryAfter === undefined ? {} : { 'retry-after': String(error.retryAfter) },
    );
  console.error(JSON.stringify({ level: 'error', msg: 'lab api error', error: String(error) }));
  sendJson(res, 500, { error: 'internal', message: 'Something went wrong on the lab server.' });
}

/** Cookies of a request; a malformed one is skipped, never an error. */
export function cookies(header: string | undefined): Record<string, string> {
  const found: Record<string, string> = {};
  for (const part of (header ?? '').slice(0, 8192).split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    try {
      found[name] = decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      /* not valid percent-encoding: ignore this cookie */
    }
  }
  return found;
}

/** A JSON object body (64 KiB at most); 400/413 otherwise. */
export async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxJsonBody) throw new ApiError(413, 'too_large', 'Request body too large.');
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  try {
    const value = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('not an object');
    return value as Record<string, unknown>;
  } catch {
    throw new ApiError(400, 'bad_json', 'The request body must be a JSON object.');
  }
}
