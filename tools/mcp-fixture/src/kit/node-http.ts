import { createServer } from 'node:http';
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Request bodies above this are refused with 413. */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

export async function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer | 'too-large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return 'too-large';
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export function jsonRpcError(res: ServerResponse, status: number, code: number, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

/** A bind the DNS-rebinding defence applies to. */
export const isLoopbackBind = (host: string) => host === '127.0.0.1' || host === 'localhost' || host === '::1';

export interface ListeningFixture {
  url: string;
  /** Runs `beforeClose` (closing sessions), then drops every connection and stops listening. */
  close(beforeClose?: () => Promise<void>): Promise<void>;
}

/**
 * Serves `handle` on host:port; the URL names `path`. A handler that throws gets a JSON-RPC internal error
 * (or a reset connection once the answer has started).
 */
export async function listenFixture(options: { port: number; host: string; path: string }, handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>): Promise<ListeningFixture> {
  const server: HttpServer = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) jsonRpcError(res, 500, -32603, 'Internal error');
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const printableHost = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${printableHost}:${port}${options.path}`,
    close: async (beforeClose) => {
      await beforeClose?.();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
