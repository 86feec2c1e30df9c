import { z } from 'zod';
import { scimLinkRuleSchema } from './scim.js';

/** The NameID format Airlock asks for: a stable, opaque, per-SP identifier (SAML 2.0 core 8.3.7). */
export const SAML_PERSISTENT_NAMEID = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';

const pemCertificate = z
  .string()
  .trim()
  .max(16_384)
  .regex(/^-----BEGIN CERTIFICATE-----\s+[A-Za-z0-9+/=\s]+-----END CERTIFICATE-----$/, 'a PEM certificate (-----BEGIN CERTIFICATE----- ...)');

const attributeName = z.string().trim().min(1).max(512);

/**
 * `config` of an identity provider of kind `saml`: what the SP (Airlock) needs to know about the IdP.
 * Assertions must be signed by one of `signingCertificates` (several: a rollover); there is no unsigned mode.
 */
export const samlProviderConfigSchema = z.object({
  /** The IdP's entity id: the `Issuer` every assertion must carry. */
  idpEntityId: z.string().trim().min(1).max(1024),
  /** The IdP's SingleSignOnService location for the HTTP-Redirect binding. */
  ssoUrl: z.url({ protocol: /^https?$/ }),
  signingCertificates: z.array(pemCertificate).min(1).max(4),
  /** The NameID format requested; the subject is the NameID unless `subjectAttribute` names an attribute. */
  nameIdFormat: z.string().trim().min(1).max(256).default(SAML_PERSISTENT_NAMEID),
  subjectAttribute: attributeName.optional(),
  attributes: z
    .object({
      email: attributeName.default('email'),
      displayName: attributeName.default('displayName'),
      groups: attributeName.default('groups'),
    })
    .prefault({}),
  /** Whether the IdP vouches for the email it sends (only then may it prefill a new user's address). */
  emailVerified: z.boolean().default(false),
  /** Accepted clock difference for NotBefore / NotOnOrAfter, in seconds. */
  clockSkewSeconds: z.number().int().min(0).max(300).default(60),
  /** Unsolicited (IdP-initiated) responses are refused unless this is on; when on, `idpInitiatedRedirect` is where the browser goes after. */
  allowIdpInitiated: z.boolean().default(false),
  idpInitiatedRedirect: z.url({ protocol: /^https?$/ }).optional(),
  /** This provider mirrors the tenant's SCIM client: link first sign-ins to SCIM-created users (scimLinkRuleSchema). */
  linkScimUsersBy: scimLinkRuleSchema.optional(),
}).refine((config) => !config.allowIdpInitiated || config.idpInitiatedRedirect !== undefined, {
  message: 'allowIdpInitiated needs idpInitiatedRedirect (where the browser goes after an unsolicited sign-in)',
  path: ['idpInitiatedRedirect'],
});
export type SamlProviderConfig = z.infer<typeof samlProviderConfigSchema>;
