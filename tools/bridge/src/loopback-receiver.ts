import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The redirect URI is part of the client registration, so the port stays the same from run to run: a
 * random one would register a new client, and ask the user to sign in again, on every start. Below 32768
 * so the kernel never hands it out as an ephemeral port to some other program.
 */
export const DEFAULT_LOOPBACK_PORT = 17301;

export class LoopbackPortBusyError extends Error {
  constructor(readonly port: number) {
    super(`cannot listen on 127.0.0.1:${port} for the sign-in redirect: the port is in use (another bridge?); choose another with --loopback-port`);
  }
}

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
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(error.code === 'EADDRINUSE' ? new LoopbackPortBusyError(port) : error));
    server.listen(port, '127.0.0.1', resolve);
  });
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
