import type { ServerResponse } from 'node:http';
import type { Http2ServerResponse } from 'node:http2';
import { CONTENT_SECURITY_POLICY } from './html.js';

type RawResponse = ServerResponse | Http2ServerResponse;

/** Headers every login, consent and account response carries, redirects included. */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
  pragma: 'no-cache',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
};

export function setPageHeaders(res: RawResponse): void {
  for (const [name, value] of Object.entries(PAGE_HEADERS)) res.setHeader(name, value);
}

export function sendHtml(res: RawResponse, status: number, body: string, extraHeaders: Record<string, string | string[]> = {}): void {
  setPageHeaders(res);
  for (const [name, value] of Object.entries(extraHeaders)) res.setHeader(name, value);
  res.statusCode = status;
  res.setHeader('content-type', 'text/html; charset=utf-8');
  res.end(body);
}

export function sendRedirect(res: RawResponse, location: string, extraHeaders: Record<string, string | string[]> = {}): void {
  setPageHeaders(res);
  for (const [name, value] of Object.entries(extraHeaders)) res.setHeader(name, value);
  res.statusCode = 303;
  res.setHeader('location', location);
  res.end();
}
