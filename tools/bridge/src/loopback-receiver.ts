import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LoopbackReceiver {
  redirectUrl: string;
  /** The next authorization code delivered to the redirect URI (state checked by the caller's flow). */
  nextCode(): Promise<string>;
  close(): Promise<void>;
}

/** RFC 8252 loopback redirect: a one-path HTTP listener on 127.0.0.1 that hands over the code. */
export async function startLoopbackReceiver(port = 0): Promise<LoopbackReceiver> {
  let waiting: { resolve: (code: string) => void; reject: (error: Error) => void } | undefined;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/callback') {
      res.writeHead(404).end();
      return;
    }
    const code = url.searchParams.get('code');
    const error = url.searchParams.get('error');
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
    res.end(code ? 'Airlock: signed in. You can close this window.' : 'Airlock: authorization failed. You can close this window.');
    if (code) waiting?.resolve(code);
    else waiting?.reject(new Error(`authorization failed: ${error ?? 'no code'}`));
    waiting = undefined;
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const { port: bound } = server.address() as AddressInfo;
  return {
    redirectUrl: `http://127.0.0.1:${bound}/callback`,
    nextCode: () => new Promise<string>((resolve, reject) => (waiting = { resolve, reject })),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
