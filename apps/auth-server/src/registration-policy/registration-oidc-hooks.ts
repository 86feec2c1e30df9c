import { errors } from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { ClientMetadataError } from '../client-metadata/client-metadata-resolver.js';
import type { RegistrationPolicyGate } from './registration-policy-gate.js';
import type { TenantRecord } from '../tenants/tenant-record.js';
import { dynamicRegistrationProblem } from './client-metadata-rules.js';
import { RegistrationRateLimitedError } from './registration-policy.errors.js';

// Ready-made pieces for auth-core's oidc-provider configuration, so the registration endpoint speaks
// RFC 7591 errors without auth-core knowing the rules.

/** The property list to put in `extraClientMetadata.properties` so `registrationMetadataValidator` sees redirect URIs. */
export const REGISTRATION_VALIDATED_PROPERTIES = ['redirect_uris'] as const;

/**
 * For `extraClientMetadata.validator`. Runs the hygiene rules and the dynamic-registration grant and
 * response type limits once per client (on `redirect_uris`, with oidc-provider's defaults already
 * applied) for registration and update requests (`ctx` set); clients built from storage, from a metadata
 * document or by the admin API (`ctx` undefined) were validated on their way in.
 */
export function registrationMetadataValidator(ctx: KoaContextWithOIDC | undefined, key: string, _value: unknown, metadata: object): void {
  if (!ctx || key !== 'redirect_uris') return;
  const problem = dynamicRegistrationProblem(metadata as Record<string, unknown>);
  if (problem) throw new errors.CustomOIDCProviderError(problem.error, problem.description);
}

interface RegistrationRequestContext {
  method: string;
  path: string;
  ip: string;
  status: number;
  body: unknown;
  set(field: string, value: string): void;
}

/**
 * A `provider.use(...)` middleware: before POST /reg reaches oidc-provider, refuses when the tenant has
 * registration off (403 access_denied) or a flood limit is hit (429 + Retry-After). `registrationPath` is
 * the provider's route (default '/reg'); `ctx.path` inside the provider is relative to its mount.
 */
export function registrationAdmissionMiddleware(
  gate: RegistrationPolicyGate,
  tenant: () => TenantRecord,
  registrationPath = '/reg',
) {
  return async (ctx: RegistrationRequestContext, next: () => Promise<unknown>): Promise<void> => {
    if (ctx.method !== 'POST' || ctx.path !== registrationPath) {
      await next();
      return;
    }
    try {
      await gate.admit(tenant(), { ip: ctx.ip });
    } catch (error) {
      if (!(error instanceof ClientMetadataError)) throw error;
      ctx.set('Cache-Control', 'no-store');
      if (error instanceof RegistrationRateLimitedError) {
        ctx.status = 429;
        ctx.set('Retry-After', String(error.retryAfterSeconds));
      } else {
        ctx.status = error.error === 'access_denied' ? 403 : 400;
      }
      ctx.body = { error: error.error, error_description: error.description };
      return;
    }
    await next();
  };
}
