import { createServer, request as httpRequest } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Clients that cannot send Authorization (the conformance CLI) reach the gateway through this: it adds a
 * bearer token to every request and passes everything else (Host, Origin included) through untouched.
 * Test code; the gateway has no switch that turns authorisation off.
 */
export async function startTokenProxy(target: string, token: string | (() => Promise<string>)): Promise<{ url: string; close(): Promise<void> }> {
  const upstream = new URL(target);
  const bearer = typeof token === 'string' ? () => Promise.resolve(token) : token;
  const server: Server = createServer((req, res) => {
    void bearer().then((value) => {
      const proxied = httpRequest(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, authorization: `Bearer ${value}` } },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      proxied.once('error', () => res.destroy());
      res.once('close', () => proxied.destroy());
      req.pipe(proxied);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
