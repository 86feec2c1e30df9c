import { z } from 'zod';

/**
 * The claims of an Airlock access token (RFC 9068 JWT, header `typ: at+jwt`). `aud` is exactly one
 * resource. `grant_id` names the grant the token came from, so a revoked grant can be refused by every
 * resource server without a call to the authorization server.
 */
export const accessTokenClaimsSchema = z.object({
  iss: z.string(),
  sub: z.string(),
  aud: z.union([z.string(), z.array(z.string()).length(1)]),
  exp: z.number(),
  iat: z.number(),
  jti: z.string(),
  client_id: z.string(),
  scope: z.string().optional(),
  grant_id: z.string().optional(),
  /** The user's groups when the token was issued (SCIM groups and the groups providers asserted): call policies read them. */
  groups: z.array(z.string()).optional(),
});
export type AccessTokenClaims = z.infer<typeof accessTokenClaimsSchema>;

/** The JWT header type of access tokens (RFC 9068 section 2.1). */
export const ACCESS_TOKEN_JWT_TYPE = 'at+jwt';
