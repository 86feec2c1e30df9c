import { z } from 'zod';

// The secrets of a hosted upstream server: the JSON the auth server's admin API seals into
// `upstream_servers.secrets_encrypted` and the gateway opens. One shape per credential kind or transport.

/**
 * The sealing context of an upstream's secrets. Binding the tenant and the server name means a sealed
 * value copied to another row does not open.
 */
export function upstreamSecretContext(tenantId: string, name: string): string {
  return `upstream:${tenantId}:${name}`;
}

/** `static_header`: one header sent on every request to the upstream. */
export const staticHeaderSecretsSchema = z
  .object({
    header: z
      .object({
        name: z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/, { error: 'must be an HTTP header name' }),
        value: z.string().max(8000).regex(/^[^\r\n\0]*$/, { error: 'must not contain line breaks' }),
      })
      .strict(),
  })
  .strict();

/** `client_credentials`: the gateway's own client at the upstream's authorization server. */
export const clientCredentialsSecretsSchema = z
  .object({
    tokenUrl: z.url({ protocol: /^https?$/ }).max(2000),
    clientId: z.string().min(1).max(500),
    clientSecret: z.string().min(1).max(2000),
    scope: z.string().max(2000).optional(),
    resource: z.url().max(2000).optional(),
  })
  .strict();

/** stdio upstreams: extra environment of the child process (it gets `PATH` and nothing else besides). */
export const stdioEnvSecretsSchema = z
  .object({
    env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, { error: 'must be an environment variable name' }), z.string().max(32_000)),
  })
  .strict();

/**
 * `oauth_user`: a client pre-registered at the upstream's authorization server, used instead of dynamic
 * client registration (connected accounts). `authorizationServer` skips RFC 9728 discovery.
 */
export const oauthUserSecretsSchema = z
  .object({
    oauthClient: z
      .object({
        clientId: z.string().min(1).max(500),
        clientSecret: z.string().min(1).max(2000).optional(),
        scope: z.string().max(2000).optional(),
        authorizationServer: z.url({ protocol: /^https?$/ }).max(2000).optional(),
      })
      .strict(),
  })
  .strict();

export const upstreamSecretsSchema = z.union([staticHeaderSecretsSchema, clientCredentialsSecretsSchema, stdioEnvSecretsSchema, oauthUserSecretsSchema]);
export type StaticHeaderSecrets = z.infer<typeof staticHeaderSecretsSchema>;
export type ClientCredentialsSecrets = z.infer<typeof clientCredentialsSecretsSchema>;
export type StdioEnvSecrets = z.infer<typeof stdioEnvSecretsSchema>;
export type OAuthUserSecrets = z.infer<typeof oauthUserSecretsSchema>;
export type UpstreamSecrets = z.infer<typeof upstreamSecretsSchema>;
