import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { HotStore } from '@airlock/redis';
import { ClientMetadataError, ClientMetadataResolver } from './client-metadata-resolver.js';
import { HOT_STORE } from '../infra/infra.tokens.js';
import type { TenantRecord } from '../tenants/tenant-record.js';
import { clientMetadataProblem } from '../registration-policy/client-metadata-rules.js';
import { FixedWindowLimiter } from '../registration-policy/fixed-window-limiter.js';
import { clientIdUrlProblem } from './client-id-url.js';
import { CLIENT_METADATA_OPTIONS } from './client-metadata.options.js';
import type { ClientMetadataOptions } from './client-metadata.options.js';
import { ClientMetadataRepository } from './client-metadata.repository.js';
import { HostResolver, SafeFetcher, SafeFetchError } from './safe-fetcher.js';
import type { SafeFetchResult } from './safe-fetcher.js';

/** The document members passed on to oidc-provider; anything else is dropped. */
const KEPT_MEMBERS = [
  'client_id',
  'client_name',
  'client_uri',
  'logo_uri',
  'tos_uri',
  'policy_uri',
  'contacts',
  'redirect_uris',
  'grant_types',
  'response_types',
  'token_endpoint_auth_method',
  'token_endpoint_auth_signing_alg',
  'jwks_uri',
  'jwks',
  'scope',
  'software_id',
  'software_version',
  'application_type',
] as const;

const ALLOWED_GRANTS = new Set(['authorization_code', 'refresh_token']);

export function cacheSeconds(cacheControl: string | undefined, bounds: { minCacheSeconds: number; maxCacheSeconds: number }): number {
  let seconds = bounds.minCacheSeconds;
  if (cacheControl && !/(?:^|,)\s*(?:no-store|no-cache)\s*(?:,|$)/i.test(cacheControl)) {
    const match = /(?:^|,)\s*max-age\s*=\s*"?(\d+)"?/i.exec(cacheControl);
    if (match) seconds = Number(match[1]);
  }
  return Math.min(bounds.maxCacheSeconds, Math.max(bounds.minCacheSeconds, seconds));
}

/**
 * Client ID Metadata Documents: an https client_id is fetched (SSRF-safe), validated, and cached in the
 * hot store (fast path) and in `oauth_clients` (durable, names the client on the account page).
 */
@Injectable()
export class ClientMetadataService extends ClientMetadataResolver {
  private readonly fetcher: SafeFetcher;
  /** One fetch per document at a time per process; concurrent authorizations share it. */
  private readonly pending = new Map<string, Promise<Record<string, unknown>>>();
  private readonly fetchesInFlight = new Map<string, number>();
  private readonly limiter: FixedWindowLimiter;

  constructor(
    @Inject(HOT_STORE) private readonly hot: HotStore,
    @Inject(CLIENT_METADATA_OPTIONS) private readonly options: ClientMetadataOptions,
    private readonly repository: ClientMetadataRepository,
    resolver: HostResolver,
  ) {
    super();
    this.fetcher = new SafeFetcher(resolver, options);
    this.limiter = new FixedWindowLimiter(hot);
  }

  static cacheKey(tenantSlug: string, clientIdUrl: string): string {
    return `auth:cimd:${tenantSlug}:${createHash('sha256').update(clientIdUrl).digest('base64url')}`;
  }

  override async resolve(tenant: TenantRecord, clientIdUrl: string): Promise<Record<string, unknown>> {
    const urlProblem = clientIdUrlProblem(clientIdUrl, this.options.allowLoopbackHttp);
    if (urlProblem) throw new ClientMetadataError('invalid_client', urlProblem);

    const key = ClientMetadataService.cacheKey(tenant.slug, clientIdUrl);
    const hot = await this.hot.get(key);
    if (hot) return JSON.parse(hot) as Record<string, unknown>;

    const stored = await this.repository.find(tenant.id, clientIdUrl);
    if (stored && stored.staleAt.getTime() > Date.now()) {
      await this.hot.set(key, JSON.stringify(stored.metadata), { ttlMs: stored.staleAt.getTime() - Date.now() });
      return stored.metadata;
    }

    const pendingKey = `${tenant.id}\u0000${clientIdUrl}`;
    let request = this.pending.get(pendingKey);
    if (!request) {
      request = this.fetchWithinBudget(tenant, clientIdUrl, key, stored?.metadata).finally(() => this.pending.delete(pendingKey));
      this.pending.set(pendingKey, request);
    }
    return request;
  }

  /** Over budget, a document fetched before still serves (stale beats down); a new one is refused. */
  private async fetchWithinBudget(tenant: TenantRecord, clientIdUrl: string, key: string, stale: Record<string, unknown> | undefined): Promise<Record<string, unknown>> {
    const inFlight = this.fetchesInFlight.get(tenant.id) ?? 0;
    const refusal = () => {
      if (stale) return stale;
      throw new ClientMetadataError('rate_limited', 'too many client metadata documents are being fetched for this tenant; try again later');
    };
    if (inFlight >= this.options.maxConcurrentFetchesPerTenant) return refusal();
    this.fetchesInFlight.set(tenant.id, inFlight + 1);
    try {
      const verdict = await this.limiter.hit(`auth:rl:cimd-fetch:${tenant.slug}`, { max: this.options.maxFetchesPerTenantPerMinute, windowMs: 60_000 });
      if (!verdict.allowed) return refusal();
      return await this.fetchAndStore(tenant, clientIdUrl, key);
    } finally {
      const left = (this.fetchesInFlight.get(tenant.id) ?? 1) - 1;
      if (left > 0) this.fetchesInFlight.set(tenant.id, left);
      else this.fetchesInFlight.delete(tenant.id);
    }
  }

  private async fetchAndStore(tenant: TenantRecord, clientIdUrl: string, key: string): Promise<Record<string, unknown>> {
    let response: SafeFetchResult;
    try {
      response = await this.fetcher.get(clientIdUrl, { accept: 'application/json', 'user-agent': 'Airlock-AuthServer (client-id-metadata)' });
    } catch (error) {
      if (error instanceof SafeFetchError) throw new ClientMetadataError('invalid_client', `client metadata document could not be fetched: ${error.message}`);
      throw error;
    }
    if (response.status !== 200) {
      throw new ClientMetadataError('invalid_client', `client metadata document could not be fetched: status ${response.status}`);
    }
    const metadata = validateDocument(parseDocument(response.body), clientIdUrl);

    const header = response.headers['cache-control'];
    const seconds = cacheSeconds(Array.isArray(header) ? header.join(',') : header, this.options);
    const now = new Date();
    const staleAt = new Date(now.getTime() + seconds * 1000);
    await this.repository.save(tenant.id, clientIdUrl, metadata, now, staleAt);
    await this.hot.set(key, JSON.stringify(metadata), { ttlMs: seconds * 1000 });
    return metadata;
  }
}

function parseDocument(body: Buffer): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new ClientMetadataError('invalid_client_metadata', 'client metadata document is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ClientMetadataError('invalid_client_metadata', 'client metadata document is not a JSON object');
  }
  return parsed as Record<string, unknown>;
}

/** The document's rules (draft §4, MCP 2025-11-25) plus our redirect URI hygiene; returns the kept members. */
export function validateDocument(document: Record<string, unknown>, clientIdUrl: string): Record<string, unknown> {
  const fail = (description: string): never => {
    throw new ClientMetadataError('invalid_client_metadata', description);
  };
  if (document['client_id'] !== clientIdUrl) fail('client_id in the document does not equal the document URL');
  if (typeof document['client_name'] !== 'string' || document['client_name'].trim() === '') fail('client_name is required');
  if (!Array.isArray(document['redirect_uris'])) fail('redirect_uris is required');
  if ('client_secret' in document || 'client_secret_expires_at' in document) fail('a client metadata document must not contain a client_secret');

  const authMethod = document['token_endpoint_auth_method'] ?? 'none';
  if (authMethod !== 'none' && authMethod !== 'private_key_jwt') fail('token_endpoint_auth_method must be none or private_key_jwt');
  if (authMethod === 'private_key_jwt' && document['jwks_uri'] === undefined && document['jwks'] === undefined) {
    fail('private_key_jwt needs jwks_uri or jwks');
  }
  const grants = document['grant_types'] ?? ['authorization_code'];
  if (!Array.isArray(grants) || grants.some((g) => typeof g !== 'string' || !ALLOWED_GRANTS.has(g))) {
    fail('grant_types may only contain authorization_code and refresh_token');
  }
  const responseTypes = document['response_types'] ?? ['code'];
  if (!Array.isArray(responseTypes) || responseTypes.some((t) => t !== 'code')) fail('response_types may only contain code');
  if (document['application_type'] !== undefined && document['application_type'] !== 'web' && document['application_type'] !== 'native') {
    fail('application_type must be web or native');
  }

  const kept: Record<string, unknown> = {};
  for (const member of KEPT_MEMBERS) if (document[member] !== undefined) kept[member] = document[member];
  kept['token_endpoint_auth_method'] = authMethod;
  const problem = clientMetadataProblem(kept);
  if (problem) fail(problem.description);
  return kept;
}
