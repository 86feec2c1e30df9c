import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { escapeCefHeader, escapeCefValue, toCef } from './cef.js';
import type { AuditExportRecord } from './export-record.js';
import { ocsfMappingOf, toOcsf } from './ocsf.js';
import { SyslogSink } from './sinks/syslog-sink.js';
import { signWebhookBody, verifyWebhookSignature } from './sinks/webhook-signature.js';

const record = (over: Partial<AuditExportRecord> = {}): AuditExportRecord => ({
  schema: 'airlock.audit.v1',
  id: 'evt-1',
  seq: '42',
  tenant: { id: '0e6f1a52-8d5c-4a55-9d7c-3b2d3c1e0001', slug: 'acme' },
  occurredAt: '2026-12-11T10:20:30.456Z',
  actor: { subject: 'user-1', clientId: 'client-1' },
  action: 'mcp.tools.call',
  target: 'wiki/search',
  outcome: 'success',
  requestId: 'req-1',
  details: { server: 'wiki', tool: 'search', latencyMs: 12, session: 'sess-1' },
  ...over,
});

describe('CEF', () => {
  it('escapes backslash and pipe in the header, and flattens line breaks there', () => {
    expect(escapeCefHeader('a|b\\c\nd\r\ne')).toBe('a\\|b\\\\c d e');
  });

  it('escapes backslash and equals in extension values, encodes line breaks, leaves pipes alone', () => {
    expect(escapeCefValue('k=v\\x|y\nz\r\nw\rq')).toBe('k\\=v\\\\x|y\\nz\\nw\\rq');
  });

  it('builds a header of seven fields and an extension that a CEF parser splits back into the original values', () => {
    const hostile = record({ action: 'admin.x|y', target: 'a=b c\\d\nnext|line suser=mallory', actor: { subject: 'eve=admin' }, details: { note: 'x=1\ny=2' } });
    const line = toCef(hostile);
    expect(line).not.toMatch(/[\r\n]/);
    // Header: split on unescaped pipes.
    const header = line.split(/(?<!\\)\|/);
    expect(header.slice(0, 7)).toEqual(['CEF:0', 'Airlock', 'Airlock', expect.any(String), 'admin.x\\|y', 'admin.x\\|y success', '3']);
    // Extension: keys are `word=` preceded by a space; values unescape to the original.
    const extension = header.slice(7).join('|');
    const fields = parseCefExtension(extension);
    expect(fields['suser']).toBe('eve=admin');
    expect(fields['cs3Label']).toBe('target');
    expect(fields['cs3']).toBe('a=b c\\d\nnext|line suser=mallory');
    expect(JSON.parse(fields['cs6'] as string)).toEqual({ note: 'x=1\ny=2' });
    expect(fields['rt']).toBe(String(Date.parse('2026-12-11T10:20:30.456Z')));
    expect(fields['externalId']).toBe('evt-1');
    expect(fields['cn1']).toBe('42');
  });

  it('leaves out a custom field and its label when the value is absent; severity follows the outcome', () => {
    const line = toCef(record({ actor: {}, requestId: null, target: null, outcome: 'denied' }));
    expect(line).not.toContain('cs2Label');
    expect(line).not.toContain('cs4Label');
    expect(line).not.toContain('suser=');
    expect(line.split('|')[6]).toBe('6');
  });
});

/** A CEF extension parser as SIEMs implement it: `key=` starts a field, `\=` `\\` `\n` `\r` are unescaped. */
function parseCefExtension(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const keyAt = /(?:^| )([A-Za-z0-9_]+)=/g;
  const starts: Array<{ key: string; from: number; valueFrom: number }> = [];
  for (let m = keyAt.exec(text); m; m = keyAt.exec(text)) {
    // A key's `=` must not be escaped: count the backslashes before it.
    if (m.index > 0 && text[m.index - 1] === '\\') continue;
    starts.push({ key: m[1] as string, from: m.index, valueFrom: m.index + m[0].length });
  }
  const real = starts.filter((start) => !isEscapedEquals(text, start.valueFrom - 1));
  real.forEach((start, i) => {
    const end = i + 1 < real.length ? (real[i + 1] as { from: number }).from : text.length;
    out[start.key] = text.slice(start.valueFrom, end).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : c));
  });
  return out;
}

function isEscapedEquals(text: string, at: number): boolean {
  let slashes = 0;
  for (let i = at - 1; i >= 0 && text[i] === '\\'; i--) slashes++;
  return slashes % 2 === 1;
}

describe('OCSF', () => {
  it('maps a tool call to API Activity (6003) with api, actor, resources and metadata', () => {
    const event = toOcsf(record());
    expect(event).toMatchObject({
      class_uid: 6003,
      class_name: 'API Activity',
      category_uid: 6,
      activity_id: 99,
      type_uid: 600399,
      time: Date.parse('2026-12-11T10:20:30.456Z'),
      severity_id: 1,
      status_id: 1,
      status: 'Success',
      metadata: { version: '1.3.0', uid: 'evt-1', product: { name: 'Airlock', vendor_name: 'Airlock' }, tenant_uid: record().tenant.id, correlation_uid: 'req-1', sequence: 42 },
      actor: { user: { uid: 'user-1' }, app_uid: 'client-1', session: { uid: 'sess-1' } },
      api: { operation: 'mcp.tools.call', service: { name: 'airlock-mcp-gateway' }, request: { uid: 'req-1' } },
      resources: [{ uid: 'wiki/search', type: 'mcp_tool' }],
      src_endpoint: {},
    });
    expect(event.unmapped).toEqual({ airlock: record() });
    expect(event).not.toHaveProperty('status_detail');
  });

  it('maps sign-ins to Authentication (3002) Logon with the protocol, and a refusal to Failure with its reason', () => {
    const saml = toOcsf(record({ action: 'federation.sign_in', outcome: 'failure', actor: {}, target: 'okta', details: { protocol: 'saml', reason: 'bad_signature' } }));
    expect(saml).toMatchObject({
      class_uid: 3002,
      category_uid: 3,
      activity_id: 1,
      type_uid: 300201,
      auth_protocol_id: 5,
      auth_protocol: 'SAML',
      status_id: 2,
      status_detail: 'failure: bad_signature',
      severity_id: 2,
      service: { name: 'okta' },
      user: { type_id: 0 },
    });
    const oidc = toOcsf(record({ action: 'federation.sign_in', actor: { subject: 'u-9' }, target: 'entra', details: {} }));
    expect(oidc).toMatchObject({ class_uid: 3002, activity_id: 1, auth_protocol_id: 4, user: { uid: 'u-9' }, status_id: 1 });
  });

  it('maps token issuance to Authentication Service Ticket Request (OAuth 2.0) and session revocation to Logoff', () => {
    expect(toOcsf(record({ action: 'oauth.token.id_jag', details: {} }))).toMatchObject({ class_uid: 3002, activity_id: 4, auth_protocol_id: 6 });
    expect(ocsfMappingOf('oauth.id_jag.issue')).toMatchObject({ classUid: 3002, activityId: 4 });
    expect(ocsfMappingOf('session.revoke')).toMatchObject({ classUid: 3002, activityId: 2 });
    expect(ocsfMappingOf('admin.user.sign_out')).toMatchObject({ classUid: 3002, activityId: 2 });
  });

  it('maps admin actions to API Activity by their verb, and anything unknown to Other (never dropped)', () => {
    expect(ocsfMappingOf('admin.client.create')).toMatchObject({ classUid: 6003, activityId: 1 });
    expect(ocsfMappingOf('admin.tenant.update')).toMatchObject({ classUid: 6003, activityId: 3 });
    expect(ocsfMappingOf('admin.server.delete')).toMatchObject({ classUid: 6003, activityId: 4 });
    expect(ocsfMappingOf('admin.grant.revoke')).toMatchObject({ classUid: 6003, activityId: 4 });
    expect(ocsfMappingOf('admin.call_policy.evaluate')).toMatchObject({ classUid: 6003, activityId: 2 });
    expect(ocsfMappingOf('scim.user.create')).toMatchObject({ classUid: 6003, activityId: 1 });
    expect(ocsfMappingOf('something.new')).toMatchObject({ classUid: 6003, activityId: 99 });
    const denied = toOcsf(record({ action: 'admin.tenant.delete', outcome: 'denied', details: { actor: { role: 'auditor' } } }));
    expect(denied).toMatchObject({ severity_id: 3, status_id: 2, status_detail: 'denied', api: { service: { name: 'airlock-auth-server' } } });
  });
});

describe('webhook signature', () => {
  const secret = 'whsec-0123456789abcdef';
  const body = JSON.stringify([{ id: 'evt-1', details: { note: 'ünï' } }]);

  it('is t=<seconds>,v1=<hex HMAC-SHA256 of "t.body">', () => {
    const header = signWebhookBody(secret, body, 1_700_000_000);
    const mac = createHmac('sha256', secret).update(`1700000000.${body}`).digest('hex');
    expect(header).toBe(`t=1700000000,v1=${mac}`);
  });

  it('verifies the right body and secret within the tolerance, and nothing else', () => {
    const header = signWebhookBody(secret, body, 1_700_000_000);
    expect(verifyWebhookSignature(secret, header, body, { nowSeconds: 1_700_000_100 })).toBe(true);
    expect(verifyWebhookSignature(secret, header, `${body} `, { nowSeconds: 1_700_000_100 })).toBe(false);
    expect(verifyWebhookSignature('another-secret-xxxxxx', header, body, { nowSeconds: 1_700_000_100 })).toBe(false);
    expect(verifyWebhookSignature(secret, header, body, { nowSeconds: 1_700_000_301 })).toBe(false);
    expect(verifyWebhookSignature(secret, header.replace('t=1700000000', 't=1700000001'), body, { nowSeconds: 1_700_000_001 })).toBe(false);
    expect(verifyWebhookSignature(secret, undefined, body)).toBe(false);
    expect(verifyWebhookSignature(secret, 'v1=abc', body)).toBe(false);
    // During a secret rotation a sender may add a second v1; one match is enough.
    const mac = header.split('v1=')[1] as string;
    expect(verifyWebhookSignature(secret, `t=1700000000,v1=${'0'.repeat(64)},v1=${mac}`, body, { nowSeconds: 1_700_000_000 })).toBe(true);
  });
});

describe('syslog framing', () => {
  it('writes an RFC 5424 header (facility log audit, severity by outcome) before the CEF payload', () => {
    const sink = new SyslogSink({ protocol: 'udp', host: '127.0.0.1', port: 9, hostname: 'store 1' });
    const line = sink.format(record({ outcome: 'denied', action: 'admin.tenant.delete' }));
    expect(line).toMatch(new RegExp(`^<108>1 2026-12-11T10:20:30.456Z store_1 airlock ${process.pid} admin.tenant.delete - CEF:0\\|Airlock\\|`));
    expect(sink.format(record())).toMatch(/^<110>1 /);
  });
});
