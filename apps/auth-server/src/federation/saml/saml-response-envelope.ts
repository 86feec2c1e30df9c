import { parseStringPromise } from 'xml2js';
import { SamlRejection } from './saml-rejection.js';

const PROTOCOL_NS = 'urn:oasis:names:tc:SAML:2.0:protocol';
/** Larger than any real response (Entra's with a few hundred groups is ~30 KB); the body limit is 1 MiB. */
const MAX_RESPONSE_BYTES = 256 * 1024;

/** SHA-1 signatures and digests (xml-crypto 6 still accepts them): collisions are practical, so they are refused. */
const SHA1_ALGORITHM = /Algorithm\s*=\s*["']http:\/\/www\.w3\.org\/2000\/09\/xmldsig#(?:rsa-|dsa-|hmac-)?sha1["']/;

/** What is read from the (possibly unsigned) `<samlp:Response>` element before the signature checks. */
export interface SamlResponseEnvelope {
  destination: string | undefined;
  inResponseTo: string | undefined;
}

type NsNode = { $ns?: { local?: string; uri?: string }; $?: Record<string, { value?: string }> };

/**
 * Decodes an HTTP-POST `SAMLResponse` and reads the envelope. Only a `<samlp:Response>` is accepted, never
 * one with a DOCTYPE (entity expansion has no place in SAML) or a SHA-1 signature algorithm or digest.
 */
export async function readResponseEnvelope(samlResponse: string): Promise<SamlResponseEnvelope> {
  if (!samlResponse || samlResponse.length > (MAX_RESPONSE_BYTES * 4) / 3 + 4 || !/^[A-Za-z0-9+/=\s]+$/.test(samlResponse)) {
    throw new SamlRejection('malformed_response', 'SAMLResponse missing, too large or not base64');
  }
  const xml = Buffer.from(samlResponse, 'base64').toString('utf8');
  if (/<!DOCTYPE/i.test(xml)) throw new SamlRejection('malformed_response', 'DOCTYPE in response');
  if (SHA1_ALGORITHM.test(xml)) throw new SamlRejection('unsigned_or_bad_signature', 'SHA-1 signature or digest');
  let parsed: Record<string, NsNode>;
  try {
    parsed = (await parseStringPromise(xml, { xmlns: true, explicitRoot: true, explicitChildren: false, strict: true })) as Record<string, NsNode>;
  } catch (error) {
    throw new SamlRejection('malformed_response', error instanceof Error ? error.message : 'not XML');
  }
  const root = Object.values(parsed ?? {})[0];
  if (root?.$ns?.local !== 'Response' || root.$ns.uri !== PROTOCOL_NS) {
    throw new SamlRejection('malformed_response', `root element ${root?.$ns?.uri ?? ''}:${root?.$ns?.local ?? ''}`);
  }
  return { destination: root.$?.['Destination']?.value, inResponseTo: root.$?.['InResponseTo']?.value };
}
