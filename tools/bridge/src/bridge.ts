import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { FileOAuthProvider } from './file-oauth-provider.js';
import { startLoopbackReceiver } from './loopback-receiver.js';
import { TokenFile } from './token-file.js';

export interface BridgeOptions {
  url: string;
  tokenFile: string;
  /** Where status lines go (stderr: stdout is the MCP stream). */
  log: (line: string) => void;
  /** The local side; stdio by default. */
  local?: Transport;
  loopbackPort?: number;
}

export interface RunningBridge {
  closed: Promise<void>;
  close(): Promise<void>;
}

/**
 * Relays MCP messages between a local stdio client and an Airlock endpoint, unchanged, doing the OAuth
 * flow (discovery from the 401, dynamic registration, PKCE, loopback redirect) when the endpoint asks.
 * The SDK transport refreshes tokens and resumes dropped streams with Last-Event-ID.
 */
export async function runBridge(options: BridgeOptions): Promise<RunningBridge> {
  const receiver = await startLoopbackReceiver(options.loopbackPort ?? 0);
  const provider = new FileOAuthProvider(new TokenFile(options.tokenFile), options.url, receiver.redirectUrl, (url) =>
    options.log(`Sign in to Airlock: open ${url.href}`),
  );
  const remote = new StreamableHTTPClientTransport(new URL(options.url), { authProvider: provider });
  const local = options.local ?? new StdioServerTransport();

  let chain: Promise<void> = Promise.resolve();
  const forward = (message: JSONRPCMessage) => {
    // In order, and held while the user signs in, so nothing overtakes the message that met the 401.
    chain = chain.then(async () => {
      try {
        await remote.send(message);
      } catch (error) {
        if (!(error instanceof UnauthorizedError)) throw error;
        await remote.finishAuth(await receiver.nextCode());
        options.log('Signed in.');
        await remote.send(message);
      }
    }).catch(async (error: unknown) => {
      options.log(`Airlock: ${error instanceof Error ? error.message : String(error)}`);
      if ('id' in message && 'method' in message) {
        await local.send({ jsonrpc: '2.0', id: message.id, error: { code: -32603, message: 'The Airlock endpoint could not be reached' } });
      }
    });
  };

  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  // Once: closing the local side fires its onclose, which lands here again.
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await remote.terminateSession().catch(() => undefined);
      await remote.close().catch(() => undefined);
      await local.close().catch(() => undefined);
      await receiver.close();
      resolveClosed();
    })());
  local.onmessage = forward;
  remote.onmessage = (message) => void local.send(message);
  remote.onerror = (error) => options.log(`Airlock: ${error.message}`);
  local.onclose = () => void close();
  await remote.start();
  await local.start();
  return { closed, close };
}
