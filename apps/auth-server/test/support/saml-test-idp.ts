import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inflateRawSync } from 'node:zlib';
import { generate } from 'selfsigned';
import { SignedXml } from 'xml-crypto';

// A SAML 2.0 identity provider for tests, run over real HTTP: it reads the SP's HTTP-Redirect AuthnRequest
// and answers as an IdP does, with an auto-submitting HTTP-POST form carrying a Response whose Assertion is
// signed (xml-crypto, RSA-SHA256, exclusive c14n) by a key and self-signed certificate generated at start.
// Every property an SP must check can be bent per response, for the negative tests.

const PROTOCOL = 'urn:oasis:names:tc:SAML:2.0:protocol';
const ASSERTION = 'urn:oasis:names:tc:SAML:2.0:assertion';
const PERSISTENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';

const esc = (value: string) => value.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
const id = () => `_${randomBytes(16).toString('hex')}`;
const iso = (ms: number) => new Date(ms).toISOString();

export interface TestIdpUser {
  nameId: string;
  email?: string;
  name?: string;
  groups?: string[];
}

export interface ResponseOptions {
  user: TestIdpUser;
  acsUrl: string;
  /** Audience; default the SP entity id. */
  audience: string;
  recipient?: string;
  destination?: string | null;
  /** undefined: unsolicited (IdP-initiated). */
  inResponseTo?: string | undefined;
  issuer?: string;
  nameIdFormat?: string;
  /** How long the assertion is valid from now (negative: already expired). */
  validForMs?: number;
  /** `assertion` (default), `none`, `wrong-key` (a key the SP does not trust), `response-only` (the envelope, not the assertion). */
  sign?: 'assertion' | 'none' | 'wrong-key' | 'response-only';
  /** XML signature wrapping: a second, unsigned assertion for another subject put before the signed one. */
  wrapWithSubject?: string;
  assertionId?: string;
  /** A status code other than Success: the response carries no assertion (the person was not signed in). */
  failStatus?: string;
}

interface KeyPair {
  privateKey: string;
  cert: string;
}

async function keyPair(commonName: string): Promise<KeyPair> {
  const pems = await generate([{ name: 'commonName', value: commonName }], { keySize: 2048, notAfterDate: new Date(Date.now() + 2 * 86_400_000), algorithm: 'sha256' });
  return { privateKey: pems.private, cert: pems.cert };
}

function assertionXml(options: ResponseOptions, issuer: string, assertionId: string, subject: string): string {
  const now = Date.now();
  const until = iso(now + (options.validForMs ?? 5 * 60 * 1000));
  const inResponseTo = options.inResponseTo === undefined ? '' : ` InResponseTo="${esc(options.inResponseTo)}"`;
  const attribute = (name: string, values: string[]) =>
    `<saml:Attribute Name="${esc(name)}">${values.map((v) => `<saml:AttributeValue>${esc(v)}</saml:AttributeValue>`).join('')}</saml:Attribute>`;
  const attributes = [
    ...(options.user.email ? [attribute('email', [options.user.email])] : []),
    ...(options.user.name ? [attribute('displayName', [options.user.name])] : []),
    ...(options.user.groups?.length ? [attribute('groups', options.user.groups)] : []),
  ];
  return (
    `<saml:Assertion xmlns:saml="${ASSERTION}" ID="${assertionId}" Version="2.0" IssueInstant="${iso(now)}">` +
    `<saml:Issuer>${esc(issuer)}</saml:Issuer>` +
    `<saml:Subject><saml:NameID Format="${esc(options.nameIdFormat ?? PERSISTENT)}">${esc(subject)}</saml:NameID>` +
    `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">` +
    `<saml:SubjectConfirmationData NotOnOrAfter="${until}" Recipient="${esc(options.recipient ?? options.acsUrl)}"${inResponseTo}/>` +
    `</saml:SubjectConfirmation></saml:Subject>` +
    `<saml:Conditions NotBefore="${iso(now - 5000)}" NotOnOrAfter="${until}">` +
    `<saml:AudienceRestriction><saml:Audience>${esc(options.audience)}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
    `<saml:AuthnStatement AuthnInstant="${iso(now)}" SessionIndex="${id()}"><saml:AuthnContext>` +
    `<saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef>` +
    `</saml:AuthnContext></saml:AuthnStatement>` +
    (attributes.length ? `<saml:AttributeStatement>${attributes.join('')}</saml:AttributeStatement>` : '') +
    `</saml:Assertion>`
  );
}

function sign(xml: string, key: KeyPair, element: 'Assertion' | 'Response'): string {
  const signer = new SignedXml({
    privateKey: key.privateKey,
    publicCert: key.cert,
    signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  });
  const target = `//*[local-name(.)='${element}']`;
  signer.addReference({
    xpath: target,
    digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
    transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'],
  });
  // The schema puts ds:Signature right after the element's own Issuer.
  signer.computeSignature(xml, { location: { reference: `${target}/*[local-name(.)='Issuer']`, action: 'after' } });
  return signer.getSignedXml();
}

export class SamlTestIdp {
  readonly entityId: string;
  /** What the next SSO request signs in as. */
  user: TestIdpUser = { nameId: 'idp-user-1' };
  /** Bends the next responses the SSO endpoint produces (cleared by `reset`). */
  tweak: Partial<ResponseOptions> = {};
  /** The last AuthnRequest received (its ID, ACS URL and issuer). */
  lastRequest: { id: string; acsUrl: string; issuer: string } | undefined;
  /** The last form the SSO endpoint auto-posted (for replays). */
  lastPost: { acsUrl: string; SAMLResponse: string; RelayState: string } | undefined;

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly key: KeyPair,
    private readonly otherKey: KeyPair,
  ) {
    this.entityId = `${url}/metadata`;
  }

  /** On `localhost` (the SP runs on 127.0.0.1): a different site, as a real IdP is, so SameSite rules apply. */
  static async start(): Promise<SamlTestIdp> {
    const [key, otherKey] = await Promise.all([keyPair('Airlock test IdP (test only)'), keyPair('Untrusted key (test only)')]);
    const ready: { idp?: SamlTestIdp } = {};
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const idp = ready.idp;
      if (req.method !== 'GET' || url.pathname !== '/sso' || !idp) {
        res.writeHead(404).end();
        return;
      }
      try {
        const form = idp.answer(url.searchParams.get('SAMLRequest') ?? '', url.searchParams.get('RelayState') ?? '');
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(form);
      } catch (error) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end(String(error));
      }
    });
    await new Promise<void>((resolve) => server.listen(0, 'localhost', resolve));
    const { port } = server.address() as AddressInfo;
    ready.idp = new SamlTestIdp(server, `http://localhost:${port}`, key, otherKey);
    return ready.idp;
  }

  get ssoUrl(): string {
    return `${this.url}/sso`;
  }

  get certificate(): string {
    return this.key.cert;
  }

  reset(): void {
    this.tweak = {};
    this.lastRequest = undefined;
    this.lastPost = undefined;
  }

  /** A base64 `SAMLResponse` as this IdP would post it. */
  response(options: ResponseOptions): string {
    const issuer = options.issuer ?? this.entityId;
    const assertionId = options.assertionId ?? id();
    let assertion = assertionXml(options, issuer, assertionId, options.user.nameId);
    if (options.sign === undefined || options.sign === 'assertion') assertion = sign(assertion, this.key, 'Assertion');
    if (options.sign === 'wrong-key') assertion = sign(assertion, this.otherKey, 'Assertion');
    if (options.wrapWithSubject) {
      // The attacker keeps the genuine signed assertion (its signature still verifies) and puts a forged one first.
      assertion = assertionXml(options, issuer, id(), options.wrapWithSubject) + assertion;
    }
    const inResponseTo = options.inResponseTo === undefined ? '' : ` InResponseTo="${esc(options.inResponseTo)}"`;
    const destination = options.destination === null ? '' : ` Destination="${esc(options.destination ?? options.acsUrl)}"`;
    if (options.failStatus) assertion = '';
    const status = options.failStatus ?? 'urn:oasis:names:tc:SAML:2.0:status:Success';
    let response =
      `<samlp:Response xmlns:samlp="${PROTOCOL}" xmlns:saml="${ASSERTION}" ID="${id()}" Version="2.0" IssueInstant="${iso(Date.now())}"${destination}${inResponseTo}>` +
      `<saml:Issuer>${esc(issuer)}</saml:Issuer>` +
      `<samlp:Status><samlp:StatusCode Value="${esc(status)}"/></samlp:Status>` +
      assertion +
      `</samlp:Response>`;
    if (options.sign === 'response-only') response = sign(response, this.key, 'Response');
    return Buffer.from(response).toString('base64');
  }

  /** The SSO endpoint: an auto-submitting form to the ACS, as the HTTP-POST binding's IdPs send. */
  private answer(samlRequest: string, relayState: string): string {
    const request = inflateRawSync(Buffer.from(samlRequest, 'base64')).toString('utf8');
    const requestId = /<samlp:AuthnRequest[^>]*\sID="([^"]+)"/.exec(request)?.[1];
    const acsUrl = /AssertionConsumerServiceURL="([^"]+)"/.exec(request)?.[1];
    const issuer = /<saml:Issuer[^>]*>([^<]+)<\/saml:Issuer>/.exec(request)?.[1];
    if (!requestId || !acsUrl || !issuer) throw new Error(`not an AuthnRequest: ${request.slice(0, 300)}`);
    this.lastRequest = { id: requestId, acsUrl, issuer };
    const SAMLResponse = this.response({ user: this.user, acsUrl, audience: issuer, inResponseTo: requestId, ...this.tweak });
    const action = this.tweak.acsUrl ?? acsUrl;
    this.lastPost = { acsUrl: action, SAMLResponse, RelayState: relayState };
    return (
      `<!doctype html><html><body onload="document.forms[0].submit()">` +
      `<form method="post" action="${esc(action)}">` +
      `<input type="hidden" name="SAMLResponse" value="${SAMLResponse}">` +
      `<input type="hidden" name="RelayState" value="${esc(relayState)}">` +
      `<noscript><button type="submit">Continue</button></noscript></form></body></html>`
    );
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
