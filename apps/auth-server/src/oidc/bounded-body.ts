import type { KoaContextWithOIDC } from 'oidc-provider';

/** The same cap oidc-provider puts on request bodies. */
const BODY_LIMIT = 56 * 1024;

/**
 * Reads a request body our middleware must inspect before oidc-provider does, as text; undefined when it
 * is over oidc-provider's own limit (oidc-provider then refuses it itself).
 */
export async function readBoundedBody(ctx: KoaContextWithOIDC): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    received += chunk.length;
    if (received > BODY_LIMIT) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
