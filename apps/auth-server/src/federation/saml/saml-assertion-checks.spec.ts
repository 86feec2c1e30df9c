import { describe, expect, it } from 'vitest';
import { parseStringPromise, processors } from 'xml2js';
import { samlProviderConfigSchema } from '@airlock/contracts';
import { checkAssertion, type AssertionExpectations } from './saml-assertion-checks.js';
import { SamlRejection } from './saml-rejection.js';

const ACS = 'https://auth.example.com/t/acme/federation/corp/saml/acs';
const NOW = Date.parse('2026-12-06T12:00:00Z');
const CERT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
const config = samlProviderConfigSchema.parse({ idpEntityId: 'https://idp.example.com', ssoUrl: 'https://idp.example.com/sso', signingCertificates: [CERT] });

interface Parts {
  issuer?: string;
  recipient?: string;
  inResponseTo?: string | null;
  notOnOrAfter?: string;
  method?: string;
  format?: string;
  attributes?: string;
}

/** An assertion as node-saml hands it over after verifying it (xml2js with node-saml's options). */
async function assertion(parts: Parts = {}): Promise<unknown> {
  const irt = parts.inResponseTo === null ? '' : ` InResponseTo="${parts.inResponseTo ?? '_req1'}"`;
  const xml = `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_a1" Version="2.0" IssueInstant="2026-12-06T11:59:59Z">
    <saml:Issuer>${parts.issuer ?? 'https://idp.example.com'}</saml:Issuer>
    <saml:Subject>
      <saml:NameID Format="${parts.format ?? 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent'}">user-77</saml:NameID>
      <saml:SubjectConfirmation Method="${parts.method ?? 'urn:oasis:names:tc:SAML:2.0:cm:bearer'}">
        <saml:SubjectConfirmationData NotOnOrAfter="${parts.notOnOrAfter ?? '2026-12-06T12:05:00Z'}" Recipient="${parts.recipient ?? ACS}"${irt}/>
      </saml:SubjectConfirmation>
    </saml:Subject>
    <saml:Conditions NotOnOrAfter="2026-12-06T12:04:00Z"/>
    <saml:AttributeStatement>${parts.attributes ?? `
      <saml:Attribute Name="email"><saml:AttributeValue>Ada@Example.com</saml:AttributeValue></saml:Attribute>
      <saml:Attribute Name="displayName"><saml:AttributeValue>Ada</saml:AttributeValue></saml:Attribute>
      <saml:Attribute Name="groups"><saml:AttributeValue>eng</saml:AttributeValue><saml:AttributeValue>ops</saml:AttributeValue><saml:AttributeValue>eng</saml:AttributeValue></saml:Attribute>`}
    </saml:AttributeStatement>
  </saml:Assertion>`;
  return parseStringPromise(xml, { explicitRoot: true, explicitCharkey: true, tagNameProcessors: [processors.stripPrefix] });
}

const expectations: AssertionExpectations = { config, acsUrl: ACS, requestId: '_req1', nowMs: NOW };

function reason(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof SamlRejection) return error.reason;
    throw error;
  }
  return undefined;
}

describe('checkAssertion', () => {
  it('returns the persistent NameID, mapped attributes, distinct groups and the replay horizon', async () => {
    const checked = checkAssertion(await assertion(), expectations);
    expect(checked).toMatchObject({ assertionId: '_a1', issuer: 'https://idp.example.com', subject: 'user-77', email: 'Ada@Example.com', displayName: 'Ada', groups: ['eng', 'ops'] });
    // The later of the two NotOnOrAfter times, plus the accepted skew (60 s by default).
    expect(checked.replayUntilMs).toBe(Date.parse('2026-12-06T12:05:00Z') + 60_000);
  });

  it('takes the subject from a configured attribute instead of the NameID', async () => {
    const byAttribute = { ...expectations, config: { ...config, subjectAttribute: 'displayName' } };
    expect(checkAssertion(await assertion({ format: 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient' }), byAttribute).subject).toBe('Ada');
  });

  it('refuses another issuer, recipient, method, NameID format, or an expired confirmation', async () => {
    expect(reason(() => checkAssertion(undefined, expectations))).toBe('malformed_response');
    const cases: Array<[Parts, string]> = [
      [{ issuer: 'https://evil.example.com' }, 'wrong_issuer'],
      [{ recipient: 'https://other.example.com/acs' }, 'wrong_recipient'],
      [{ method: 'urn:oasis:names:tc:SAML:2.0:cm:holder-of-key' }, 'malformed_response'],
      [{ format: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress' }, 'wrong_nameid_format'],
      [{ notOnOrAfter: '2026-12-06T11:58:59Z' }, 'expired_or_not_yet_valid'],
      [{ inResponseTo: '_other' }, 'in_response_to_mismatch'],
      [{ inResponseTo: null }, 'in_response_to_mismatch'],
    ];
    for (const [parts, expected] of cases) {
      const parsed = await assertion(parts);
      expect(reason(() => checkAssertion(parsed, expectations)), JSON.stringify(parts)).toBe(expected);
    }
  });

  it('accepts a confirmation within the clock skew, and an unsolicited one only without InResponseTo', async () => {
    const justExpired = await assertion({ notOnOrAfter: '2026-12-06T11:59:30Z' });
    expect(checkAssertion(justExpired, expectations).subject).toBe('user-77');
    const unsolicited = await assertion({ inResponseTo: null });
    expect(checkAssertion(unsolicited, { ...expectations, requestId: undefined }).subject).toBe('user-77');
    expect(reason(() => checkAssertion(unsolicited, expectations))).toBe('in_response_to_mismatch');
  });

  it('refuses an assertion without a subject', async () => {
    const parsed = await assertion({ attributes: '' });
    expect(reason(() => checkAssertion(parsed, { ...expectations, config: { ...config, subjectAttribute: 'uid' } }))).toBe('missing_subject');
  });
});
