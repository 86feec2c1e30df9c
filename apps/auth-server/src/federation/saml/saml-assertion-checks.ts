import type { SamlProviderConfig } from '@airlock/contracts';
import { SamlRejection } from './saml-rejection.js';

// Checks node-saml leaves to its caller, made on the signed assertion only (node-saml returns the
// referenced, verified bytes, parsed by xml2js: elements as arrays, attributes under `$`, text under `_`).

const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';

type XmlNode = { $?: Record<string, string>; _?: string } & { [child: string]: unknown };

function children(node: XmlNode | undefined, name: string): XmlNode[] {
  const value = node?.[name];
  return Array.isArray(value) ? (value as XmlNode[]) : [];
}

function text(node: XmlNode | undefined): string | undefined {
  const value = typeof node === 'string' ? node : node?._;
  return typeof value === 'string' ? value.trim() : undefined;
}

export interface AssertionExpectations {
  config: SamlProviderConfig;
  acsUrl: string;
  /** The outstanding AuthnRequest's ID; undefined for an IdP-initiated (unsolicited) response. */
  requestId: string | undefined;
  nowMs: number;
}

export interface CheckedAssertion {
  assertionId: string;
  /** When the replay-cache entry may go: the latest time the assertion could still be accepted. */
  replayUntilMs: number;
  issuer: string;
  subject: string;
  email: string | undefined;
  displayName: string | undefined;
  groups: string[];
}

function timeOf(value: string | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new SamlRejection('malformed_response', `${what} is not a date`);
  return ms;
}

/** Attribute values by name: one string per AttributeValue (complex values are ignored). */
function attributeValues(assertion: XmlNode): Map<string, string[]> {
  const values = new Map<string, string[]>();
  for (const statement of children(assertion, 'AttributeStatement')) {
    for (const attribute of children(statement, 'Attribute')) {
      const name = attribute.$?.['Name'];
      if (!name) continue;
      const list = values.get(name) ?? [];
      for (const value of children(attribute, 'AttributeValue')) {
        const v = text(value);
        if (v) list.push(v);
      }
      values.set(name, list);
    }
  }
  return values;
}

/**
 * The bearer SubjectConfirmation (SAML 2.0 profiles 4.1.4.2): Recipient is our ACS URL, NotOnOrAfter not
 * passed, InResponseTo our request's ID (and absent when unsolicited). Returns its NotOnOrAfter.
 */
function checkSubjectConfirmation(subject: XmlNode | undefined, expect: AssertionExpectations): number {
  const skewMs = expect.config.clockSkewSeconds * 1000;
  const bearers = children(subject, 'SubjectConfirmation').filter((c) => c.$?.['Method'] === BEARER);
  if (bearers.length === 0) throw new SamlRejection('malformed_response', 'no bearer SubjectConfirmation');
  let lastReason: SamlRejection | undefined;
  for (const confirmation of bearers) {
    const data = children(confirmation, 'SubjectConfirmationData')[0]?.$ ?? {};
    const notOnOrAfter = timeOf(data['NotOnOrAfter'], 'SubjectConfirmationData NotOnOrAfter');
    const notBefore = timeOf(data['NotBefore'], 'SubjectConfirmationData NotBefore');
    if (data['Recipient'] !== expect.acsUrl) lastReason = new SamlRejection('wrong_recipient', `Recipient ${data['Recipient'] ?? '(none)'}`);
    else if (notOnOrAfter === undefined) lastReason = new SamlRejection('malformed_response', 'bearer confirmation without NotOnOrAfter');
    else if (expect.nowMs - skewMs >= notOnOrAfter || (notBefore !== undefined && expect.nowMs + skewMs < notBefore))
      lastReason = new SamlRejection('expired_or_not_yet_valid', 'SubjectConfirmationData time window');
    else if (data['InResponseTo'] !== expect.requestId) lastReason = new SamlRejection('in_response_to_mismatch', 'SubjectConfirmationData InResponseTo');
    else return notOnOrAfter;
  }
  throw lastReason!;
}

/**
 * Everything about the signed assertion that node-saml does not check (issuer, recipient, bearer
 * confirmation, InResponseTo inside the signature, NameID format), and the identity it carries.
 */
export function checkAssertion(parsed: unknown, expect: AssertionExpectations): CheckedAssertion {
  const assertion = (parsed as { Assertion?: XmlNode } | undefined)?.Assertion;
  if (!assertion) throw new SamlRejection('malformed_response', 'no Assertion');
  const assertionId = assertion.$?.['ID'];
  if (!assertionId) throw new SamlRejection('malformed_response', 'Assertion without ID');

  const issuer = text(children(assertion, 'Issuer')[0]);
  if (issuer === undefined || issuer !== expect.config.idpEntityId) throw new SamlRejection('wrong_issuer', `Issuer ${issuer ?? '(none)'}`);

  const subjectNode = children(assertion, 'Subject')[0];
  const confirmationUntil = checkSubjectConfirmation(subjectNode, expect);
  const conditionsUntil = timeOf(children(assertion, 'Conditions')[0]?.$?.['NotOnOrAfter'], 'Conditions NotOnOrAfter');
  const replayUntilMs = Math.max(confirmationUntil, conditionsUntil ?? 0) + expect.config.clockSkewSeconds * 1000;

  const attributes = attributeValues(assertion);
  const first = (name: string) => attributes.get(name)?.[0];
  let subject: string | undefined;
  if (expect.config.subjectAttribute) {
    subject = first(expect.config.subjectAttribute);
  } else {
    const nameId = children(subjectNode, 'NameID')[0];
    const format = nameId?.$?.['Format'];
    if (nameId && format !== expect.config.nameIdFormat) throw new SamlRejection('wrong_nameid_format', `NameID Format ${format ?? '(none)'}`);
    subject = text(nameId);
  }
  if (!subject || subject.length > 1024) throw new SamlRejection('missing_subject');

  const names = expect.config.attributes;
  return {
    assertionId,
    replayUntilMs,
    issuer,
    subject,
    email: first(names.email),
    displayName: first(names.displayName),
    groups: [...new Set(attributes.get(names.groups) ?? [])],
  };
}
