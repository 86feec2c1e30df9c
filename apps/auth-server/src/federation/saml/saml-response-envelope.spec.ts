import { describe, expect, it } from 'vitest';
import { samlProviderConfigSchema } from '@airlock/contracts';
import { readResponseEnvelope } from './saml-response-envelope.js';
import { SamlRejection } from './saml-rejection.js';

const b64 = (xml: string) => Buffer.from(xml).toString('base64');

async function reason(samlResponse: string): Promise<string | undefined> {
  try {
    await readResponseEnvelope(samlResponse);
    return undefined;
  } catch (error) {
    if (error instanceof SamlRejection) return error.reason;
    throw error;
  }
}

describe('readResponseEnvelope', () => {
  it('reads Destination and InResponseTo of a samlp:Response, whatever its prefix', async () => {
    const envelope = await readResponseEnvelope(b64('<p:Response xmlns:p="urn:oasis:names:tc:SAML:2.0:protocol" ID="_r" Destination="https://sp/acs" InResponseTo="_q"/>'));
    expect(envelope).toEqual({ destination: 'https://sp/acs', inResponseTo: '_q' });
    expect(await readResponseEnvelope(b64('<Response xmlns="urn:oasis:names:tc:SAML:2.0:protocol" ID="_r"/>'))).toEqual({ destination: undefined, inResponseTo: undefined });
  });

  it('refuses empty, non-base64, non-XML, DOCTYPE, another root element or namespace, and oversized input', async () => {
    expect(await reason('')).toBe('malformed_response');
    expect(await reason('not base64 at all!')).toBe('malformed_response');
    expect(await reason(b64('<unclosed'))).toBe('malformed_response');
    expect(await reason(b64('<!DOCTYPE r [<!ENTITY x "y">]><samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>'))).toBe('malformed_response');
    expect(await reason(b64('<samlp:LogoutResponse xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>'))).toBe('malformed_response');
    expect(await reason(b64('<Response xmlns="urn:example:other"/>'))).toBe('malformed_response');
    expect(await reason('A'.repeat(400_000))).toBe('malformed_response');
  });

  it('refuses SHA-1 signature and digest algorithms before any signature is checked', async () => {
    const signed = (method: string, digest: string) =>
      b64(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:SignatureMethod Algorithm="${method}"/><ds:Reference><ds:DigestMethod Algorithm='${digest}'/></ds:Reference></ds:SignedInfo></ds:Signature></samlp:Response>`);
    expect(await reason(signed('http://www.w3.org/2000/09/xmldsig#rsa-sha1', 'http://www.w3.org/2001/04/xmlenc#sha256'))).toBe('unsigned_or_bad_signature');
    expect(await reason(signed('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', 'http://www.w3.org/2000/09/xmldsig#sha1'))).toBe('unsigned_or_bad_signature');
    expect(await reason(signed('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', 'http://www.w3.org/2001/04/xmlenc#sha256'))).toBeUndefined();
  });
});

describe('samlProviderConfigSchema', () => {
  const base = { idpEntityId: 'https://idp.example.com', ssoUrl: 'https://idp.example.com/sso', signingCertificates: ['-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----'] };

  it('fills the defaults: persistent NameID, attribute names, 60 s skew, no IdP-initiated sign-in', () => {
    expect(samlProviderConfigSchema.parse(base)).toMatchObject({
      nameIdFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
      attributes: { email: 'email', displayName: 'displayName', groups: 'groups' },
      clockSkewSeconds: 60,
      allowIdpInitiated: false,
      emailVerified: false,
    });
  });

  it('needs a certificate in PEM, an http(s) SSO URL, and a landing page when IdP-initiated sign-in is on', () => {
    expect(samlProviderConfigSchema.safeParse({ ...base, signingCertificates: [] }).success).toBe(false);
    expect(samlProviderConfigSchema.safeParse({ ...base, signingCertificates: ['MIIB'] }).success).toBe(false);
    expect(samlProviderConfigSchema.safeParse({ ...base, ssoUrl: 'javascript:alert(1)' }).success).toBe(false);
    expect(samlProviderConfigSchema.safeParse({ ...base, allowIdpInitiated: true }).success).toBe(false);
    expect(samlProviderConfigSchema.safeParse({ ...base, allowIdpInitiated: true, idpInitiatedRedirect: 'https://app.example.com/' }).success).toBe(true);
    expect(samlProviderConfigSchema.safeParse({ ...base, clockSkewSeconds: 3600 }).success).toBe(false);
  });
});
