import type { ClientHttp2Session } from 'node:http2';

/** One HTTP/2 request on an open session, read to the end. */
export function h2Request(session: ClientHttp2Session, headers: Record<string, string>, body?: string): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
  return new Promise((resolve, reject) => {
    const stream = session.request(headers);
    let status = 0;
    let responseHeaders: Record<string, unknown> = {};
    let text = '';
    stream.on('response', (received) => {
      status = Number(received[':status']);
      responseHeaders = received;
    });
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => (text += chunk));
    stream.on('end', () => resolve({ status, headers: responseHeaders, text }));
    stream.on('error', reject);
    stream.end(body);
  });
}
