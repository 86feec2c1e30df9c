import { ErrorCodes, LATEST_LEGACY_PROTOCOL_VERSION, MODERN_PROTOCOL_VERSION, envelopeForLegacyClient, modernRequestHeaders, withEnvelope } from '@airlock/mcp-protocol';

/** The two eras the gateway can speak to an upstream (the upstream-facing adapter it picks). */
export type UpstreamEra = typeof LATEST_LEGACY_PROTOCOL_VERSION | typeof MODERN_PROTOCOL_VERSION;

/** What one probe shows: an era, or nothing to go by (auth refused, upstream down): the caller must not remember it. */
export type ProbeVerdict = { era: UpstreamEra } | { unknown: string };

/** One probe answer, as the HTTP exchange delivered it. */
export type ProbeOutcome =
  | { kind: 'status'; status: number; message: unknown }
  | { kind: 'network-error'; error: unknown };

const MODERN: ProbeVerdict = { era: MODERN_PROTOCOL_VERSION };
const LEGACY: ProbeVerdict = { era: LATEST_LEGACY_PROTOCOL_VERSION };

function listsModern(versions: unknown): boolean {
  return Array.isArray(versions) && versions.includes(MODERN_PROTOCOL_VERSION);
}

/**
 * The era a `server/discover` probe shows, classified as the 2026-07-28 SDK client's negotiation does: a
 * discover result listing 2026-07-28 in `supportedVersions`, or an UnsupportedProtocolVersion error whose
 * `data.supported` lists it, is a 2026-07-28 server; 401/403, 5xx and network errors say nothing; any
 * other answer (400 "not initialized", 404/405, method not found) is a session-based server, reached
 * with the 2025-11-25 `initialize` handshake.
 */
export function classifyProbe(outcome: ProbeOutcome): ProbeVerdict {
  if (outcome.kind === 'network-error') return { unknown: 'the upstream is unreachable' };
  const { status, message } = outcome;
  if (status === 401 || status === 403) return { unknown: `the upstream refused the probe (HTTP ${status})` };
  if (status >= 500) return { unknown: `the upstream failed the probe (HTTP ${status})` };
  if (typeof message !== 'object' || message === null) return LEGACY;
  const { result, error } = message as { result?: { supportedVersions?: unknown }; error?: { code?: unknown; data?: { supported?: unknown } } };
  if (status < 300 && result && listsModern(result.supportedVersions)) return MODERN;
  if (error?.code === ErrorCodes.unsupportedProtocolVersion && listsModern(error.data?.supported)) return MODERN;
  return LEGACY;
}

/** The first JSON-RPC message of a JSON or SSE body (a discover answer is one message). */
function firstMessage(contentType: string, text: string): unknown {
  try {
    if (!contentType.includes('text/event-stream')) return JSON.parse(text);
    const data = /^data: ?(.*)$/m.exec(text.replace(/\r\n?/g, '\n'));
    return data ? JSON.parse(data[1]!) : undefined;
  } catch {
    return undefined;
  }
}

/** How long a probe may take before it counts as a network error (the connect it precedes is waiting). */
const PROBE_TIMEOUT_MS = 10_000;

/** Sends one stateless `server/discover` to an http upstream (with the gateway's credentials for it) and classifies the answer. */
export async function probeUpstreamEra(url: string, credentialHeaders: Record<string, string>, fetchImpl: typeof fetch = fetch): Promise<ProbeVerdict> {
  const params = withEnvelope({}, envelopeForLegacyClient({ capabilities: {}, clientInfo: { name: 'airlock-gateway', version: '1.0.0' } }));
  let outcome: ProbeOutcome;
  try {
    const response = await fetchImpl(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...modernRequestHeaders('server/discover', params),
        ...credentialHeaders,
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 'airlock-era-probe', method: 'server/discover', params }),
      signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
    });
    outcome = { kind: 'status', status: response.status, message: firstMessage(response.headers.get('content-type') ?? '', await response.text()) };
  } catch (error) {
    outcome = { kind: 'network-error', error };
  }
  return classifyProbe(outcome);
}
