import { z } from 'zod';

// Identity Assertion JWT Authorization Grant (draft-ietf-oauth-identity-assertion-authz-grant), the grant
// behind MCP's Enterprise-Managed Authorization extension: an IdP issues an ID-JAG by RFC 8693 token
// exchange, the resource's authorization server redeems it as an RFC 7523 jwt-bearer assertion.

/** RFC 7523 grant type the ID-JAG is redeemed with. */
export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** RFC 8693 grant type the ID-JAG is requested with at the IdP. */
export const TOKEN_EXCHANGE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:token-exchange';
/** RFC 8693 token type of an ID-JAG (requested at the IdP, issued as `issued_token_type`). */
export const ID_JAG_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id-jag';
/** JOSE `typ` header of an ID-JAG. */
export const ID_JAG_JWT_TYPE = 'oauth-id-jag+jwt';
/** RFC 8693 token type of an OpenID Connect ID token (the usual subject token at the IdP). */
export const ID_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id_token';
/** MCP's extension identifier, as clients and servers name it. */
export const ENTERPRISE_MANAGED_AUTHORIZATION_EXTENSION = 'io.modelcontextprotocol/enterprise-managed-authorization';

const httpsOrLoopbackUrl = z
  .url()
  .max(2000)
  .refine((value) => {
    const url = URL.parse(value);
    return !!url && (url.protocol === 'https:' || (url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)));
  }, { error: 'must be an https URL (http only on the loopback)' });
const clientIdsSchema = z.array(z.string().min(1).max(2000)).max(100);
const scopeListSchema = z.array(z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]{1,200}$/, { error: 'must be a scope token' })).max(100);
const publicJwkSchema = z
  .looseObject({ kty: z.string(), kid: z.string().max(200).optional() })
  .refine((jwk) => !('d' in jwk) && !('p' in jwk) && !('k' in jwk), { error: 'must hold public keys only' });
export const inlineJwksSchema = z.object({ keys: z.array(publicJwkSchema).min(1).max(20) });

/** An IdP whose ID-JAGs a tenant accepts. */
export const trustedIssuerSchema = z.object({
  id: z.string(),
  issuer: z.string(),
  jwksUri: z.string().nullable(),
  /** Inline keys, when configured instead of (or besides) a jwks_uri. */
  jwks: inlineJwksSchema.nullable(),
  /** Clients that may redeem its ID-JAGs; empty: any client of the tenant. */
  allowedClientIds: z.array(z.string()),
  enabled: z.boolean(),
  /**
   * Just-in-time provisioning: an assertion whose subject no user is linked to creates the user (linked
   * through the tenant's enabled OpenID provider whose issuer is this one). Off: such an assertion is refused.
   */
  provisionUsers: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export const createTrustedIssuerRequestSchema = z
  .object({
    issuer: httpsOrLoopbackUrl,
    jwksUri: httpsOrLoopbackUrl.optional(),
    jwks: inlineJwksSchema.optional(),
    allowedClientIds: clientIdsSchema.optional(),
    enabled: z.boolean().optional(),
    provisionUsers: z.boolean().optional(),
  })
  .strict()
  .refine((body) => body.jwksUri !== undefined || body.jwks !== undefined, { error: 'jwksUri or jwks is required' });
export type CreateTrustedIssuerRequest = z.infer<typeof createTrustedIssuerRequestSchema>;
export const updateTrustedIssuerRequestSchema = z
  .object({
    jwksUri: httpsOrLoopbackUrl.nullable().optional(),
    jwks: inlineJwksSchema.nullable().optional(),
    allowedClientIds: clientIdsSchema.optional(),
    enabled: z.boolean().optional(),
    provisionUsers: z.boolean().optional(),
  })
  .strict()
  .refine((body) => Object.keys(body).length > 0, { error: 'at least one field is required' });
export type UpdateTrustedIssuerRequest = z.infer<typeof updateTrustedIssuerRequestSchema>;

/** IdP side: an authorization server this tenant issues ID-JAGs for (each list empty: no limit). */
export const idJagAudienceSchema = z.object({
  id: z.string(),
  /** The authorization server's issuer: the ID-JAG's `aud`. */
  audience: z.string(),
  resources: z.array(z.string()),
  allowedClientIds: z.array(z.string()),
  scopes: z.array(z.string()),
  enabled: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export const createIdJagAudienceRequestSchema = z
  .object({
    audience: httpsOrLoopbackUrl,
    resources: z.array(httpsOrLoopbackUrl).max(100).optional(),
    allowedClientIds: clientIdsSchema.optional(),
    scopes: scopeListSchema.optional(),
    enabled: z.boolean().optional(),
  })
  .strict();
export type CreateIdJagAudienceRequest = z.infer<typeof createIdJagAudienceRequestSchema>;
export const updateIdJagAudienceRequestSchema = z
  .object({
    resources: z.array(httpsOrLoopbackUrl).max(100).optional(),
    allowedClientIds: clientIdsSchema.optional(),
    scopes: scopeListSchema.optional(),
    enabled: z.boolean().optional(),
  })
  .strict()
  .refine((body) => Object.keys(body).length > 0, { error: 'at least one field is required' });
export type UpdateIdJagAudienceRequest = z.infer<typeof updateIdJagAudienceRequestSchema>;

/** A client whose users see no consent screen in this tenant for these scopes. */
export const preApprovalSchema = z.object({
  id: z.string(),
  clientId: z.string(),
  scopes: z.array(z.string()),
  createdBy: z.string(),
  createdAt: z.string(),
});
export const putPreApprovalRequestSchema = z.object({ scopes: scopeListSchema.min(1) }).strict();
export type PutPreApprovalRequest = z.infer<typeof putPreApprovalRequestSchema>;
