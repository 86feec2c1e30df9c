import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { UpstreamServerRecord } from '../tenants/tenant-catalog.js';
import { AccountNotConnectedError, connectMessage } from './connected-account-tokens.js';
import type { ConnectedAccountTokens } from './connected-account-tokens.js';
import type { UpstreamConnection } from './upstream-connection.js';
import { UpstreamLink } from './upstream-link.js';
import type { RequestOptions } from './upstream-link.js';

/** Whether a client's capabilities declare URL-mode elicitation (2025-11-25 `elicitation.url`). */
export function supportsUrlElicitation(capabilities: Record<string, unknown>): boolean {
  const elicitation = capabilities['elicitation'];
  return typeof elicitation === 'object' && elicitation !== null && (elicitation as Record<string, unknown>)['url'] !== undefined;
}

const isUnauthorized = (error: unknown) => error instanceof StreamableHTTPError && error.code === 401;

/**
 * One session's connection to an `oauth_user` upstream (connected accounts). It connects only once the user
 * has an account there: until then every request answers with where to connect it (a URL elicitation
 * error -32042 for a client that declared `elicitation.url`; otherwise a tools/call answers a tool result
 * with `isError` whose text carries the link, anything else an error whose message does). An upstream
 * that refuses the token (401) has it refreshed once and the request sent again; an account that is gone
 * (disconnected, refresh refused) drops the upstream session and asks again.
 */
export class OAuthUserConnection implements UpstreamConnection {
  private inner: UpstreamConnection | undefined;
  private connecting: Promise<UpstreamConnection> | undefined;

  readonly client = {
    getInstructions: (): string | undefined => this.inner?.client.getInstructions(),
    getServerVersion: (): { name: string; version: string } | undefined => this.inner?.client.getServerVersion(),
  };

  constructor(
    readonly server: UpstreamServerRecord,
    private readonly caller: { tenant: string; subject: string; clientCapabilities: Record<string, unknown> },
    private readonly accounts: ConnectedAccountTokens,
    private readonly open: () => Promise<UpstreamConnection>,
  ) {}

  /** Connects now when the user already has an account (the session's initialize then has the real capabilities). */
  async warm(): Promise<void> {
    if (await this.accounts.connected(this.server, this.caller.subject)) await this.connection().catch(() => undefined);
  }

  private async connection(): Promise<UpstreamConnection> {
    if (this.inner) return this.inner;
    // Throws AccountNotConnectedError before anything goes upstream when there is no account.
    const authorization = await this.accounts.authorization(this.server, this.caller.tenant, this.caller.subject);
    this.connecting ??= this.open()
      .catch(async (error: unknown) => {
        if (!isUnauthorized(error)) throw error;
        // The token was refused at initialize: refreshed once, then one more try.
        await this.accounts.rejected(this.server, this.caller.tenant, this.caller.subject, authorization);
        return this.open();
      })
      .then(
        (link) => {
          this.inner = link;
          return link;
        },
        (error: unknown) => {
          this.connecting = undefined;
          throw error;
        },
      );
    return this.connecting;
  }

  /** Takes the relay's options (cancel, related stream) like an UpstreamLink, and hands each connection what it takes. */
  async request(method: string, params: Record<string, unknown> | undefined, options: RequestOptions = {}): Promise<Record<string, unknown>> {
    try {
      const link = await this.connection();
      // The token the request will carry (cached read): what a 401 refused.
      const authorization = await this.accounts.authorization(this.server, this.caller.tenant, this.caller.subject);
      const send = () => {
        if (link instanceof UpstreamLink) return link.request(method, params, options);
        const signal = options.signal ?? options.cancel?.signal;
        return link.request(method, params, { ...(signal ? { signal } : {}), ...(options.onprogress ? { onprogress: options.onprogress } : {}) });
      };
      try {
        return await send();
      } catch (error) {
        if (!isUnauthorized(error)) throw error;
        await this.accounts.rejected(this.server, this.caller.tenant, this.caller.subject, authorization);
        return await send();
      }
    } catch (error) {
      if (!(error instanceof AccountNotConnectedError)) throw error;
      await this.drop();
      return this.askToConnect(method, error);
    }
  }

  private askToConnect(method: string, missing: AccountNotConnectedError): Record<string, unknown> {
    if (supportsUrlElicitation(this.caller.clientCapabilities)) throw missing.elicitation();
    if (method === 'tools/call') return { content: [{ type: 'text', text: connectMessage(this.server.name, missing.connectUrl) }], isError: true };
    throw missing;
  }

  /** The upstream session of an account that is gone: closed, so a new connection starts with the next account. */
  private async drop(): Promise<void> {
    const inner = this.inner;
    this.inner = undefined;
    this.connecting = undefined;
    await inner?.close().catch(() => undefined);
  }

  async notify(method: string, params?: Record<string, unknown>): Promise<void> {
    await this.inner?.notify(method, params);
  }

  capabilities(): Record<string, unknown> {
    return this.inner?.capabilities() ?? { tools: {} };
  }

  async close(): Promise<void> {
    await this.drop();
  }
}

export { AccountNotConnectedError };
