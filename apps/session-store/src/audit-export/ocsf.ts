import type { AuditExportRecord } from './export-record.js';
import { PRODUCT } from './product.js';

// The `ocsf` format: one OCSF 1.3.0 event per audit record. Sign-ins, sign-outs and token issuance are
// Authentication (3002); everything else (admin API calls, MCP tool calls, SCIM, session revocation by an
// admin, tool pinning) is API Activity (6003). The README's "Audit export" section has the field table;
// what has no OCSF home stays under `unmapped` (the whole `airlock` record is kept there), so nothing is lost.

export const OCSF_VERSION = '1.3.0';

export const OcsfClass = { authentication: 3002, apiActivity: 6003 } as const;

/** Authentication activity_id. */
const AuthActivity = { logon: 1, logoff: 2, serviceTicketRequest: 4, other: 99 } as const;
/** API Activity activity_id. */
const ApiActivity = { create: 1, read: 2, update: 3, delete: 4, other: 99 } as const;
/** auth_protocol_id. */
const AuthProtocol = { unknown: 0, openId: 4, saml: 5, oauth2: 6, other: 99 } as const;

const STATUS = { success: 1, failure: 2 } as const;
/** severity_id: Informational for what went through; Low for a failure or a refusal; Medium for a denial. */
const SEVERITY: Record<AuditExportRecord['outcome'], number> = { success: 1, failure: 2, refused: 2, denied: 3 };

export interface OcsfEvent {
  class_uid: number;
  class_name: string;
  category_uid: number;
  category_name: string;
  activity_id: number;
  activity_name: string;
  type_uid: number;
  type_name: string;
  time: number;
  severity_id: number;
  status_id: number;
  status: string;
  status_detail?: string;
  message: string;
  metadata: Record<string, unknown>;
  actor: Record<string, unknown>;
  [key: string]: unknown;
}

interface Mapping {
  classUid: number;
  activityId: number;
  activityName: string;
}

/** Which OCSF class and activity an audit action is. Unknown actions are API Activity "Other": never dropped. */
export function ocsfMappingOf(action: string): Mapping {
  if (action === 'federation.sign_in' || action.endsWith('.sign_in') || action === 'login') return { classUid: OcsfClass.authentication, activityId: AuthActivity.logon, activityName: 'Logon' };
  if (action === 'session.revoke' || action.endsWith('.sign_out') || action === 'logout') return { classUid: OcsfClass.authentication, activityId: AuthActivity.logoff, activityName: 'Logoff' };
  if (action.startsWith('oauth.token.') || action === 'oauth.id_jag.issue') {
    return { classUid: OcsfClass.authentication, activityId: AuthActivity.serviceTicketRequest, activityName: 'Service Ticket Request' };
  }
  const verb = action.slice(action.lastIndexOf('.') + 1);
  if (action === 'mcp.tools.call') return { classUid: OcsfClass.apiActivity, activityId: ApiActivity.other, activityName: 'Tool Call' };
  if (/^(create|provisioned|put)$/.test(verb) || verb.endsWith('_create')) return { classUid: OcsfClass.apiActivity, activityId: ApiActivity.create, activityName: 'Create' };
  if (/^(list|get|read|evaluate)$/.test(verb)) return { classUid: OcsfClass.apiActivity, activityId: ApiActivity.read, activityName: 'Read' };
  if (/^(update|replace|rotate|approved|definition_changed|registration_policy|reset_sign_in)$/.test(verb) || verb.endsWith('_update')) {
    return { classUid: OcsfClass.apiActivity, activityId: ApiActivity.update, activityName: 'Update' };
  }
  if (/^(delete|revoke|grants_revoke)$/.test(verb) || verb.endsWith('_revoke') || verb.endsWith('_delete')) return { classUid: OcsfClass.apiActivity, activityId: ApiActivity.delete, activityName: 'Delete' };
  return { classUid: OcsfClass.apiActivity, activityId: ApiActivity.other, activityName: 'Other' };
}

function authProtocolOf(record: AuditExportRecord): { id: number; name: string } {
  const protocol = typeof record.details['protocol'] === 'string' ? record.details['protocol'].toLowerCase() : undefined;
  if (protocol === 'saml') return { id: AuthProtocol.saml, name: 'SAML' };
  if (protocol === 'oidc' || protocol === 'openid') return { id: AuthProtocol.openId, name: 'OpenID' };
  if (record.action.startsWith('oauth.')) return { id: AuthProtocol.oauth2, name: 'OAUTH 2.0' };
  if (record.action.startsWith('federation.')) return { id: AuthProtocol.openId, name: 'OpenID' };
  return { id: AuthProtocol.unknown, name: 'Unknown' };
}

const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

export function toOcsf(record: AuditExportRecord): OcsfEvent {
  const mapping = ocsfMappingOf(record.action);
  const isAuth = mapping.classUid === OcsfClass.authentication;
  const ok = record.outcome === 'success';
  const reason = str(record.details['reason']);
  const actor: Record<string, unknown> = {};
  if (record.actor.subject) actor['user'] = { uid: record.actor.subject, type_id: 1, type: 'User' };
  if (record.actor.clientId) actor['app_uid'] = record.actor.clientId;
  const sessionId = str(record.details['session']);
  if (sessionId) actor['session'] = { uid: sessionId };
  const ip = str(record.details['ip']) ?? str(record.details['ipAddress']);

  const event: OcsfEvent = {
    class_uid: mapping.classUid,
    class_name: isAuth ? 'Authentication' : 'API Activity',
    category_uid: isAuth ? 3 : 6,
    category_name: isAuth ? 'Identity & Access Management' : 'Application Activity',
    activity_id: mapping.activityId,
    activity_name: mapping.activityName,
    type_uid: mapping.classUid * 100 + mapping.activityId,
    type_name: `${isAuth ? 'Authentication' : 'API Activity'}: ${mapping.activityName}`,
    time: Date.parse(record.occurredAt),
    severity_id: SEVERITY[record.outcome],
    severity: ['Unknown', 'Informational', 'Low', 'Medium'][SEVERITY[record.outcome]] as string,
    status_id: ok ? STATUS.success : STATUS.failure,
    status: ok ? 'Success' : 'Failure',
    ...(ok ? {} : { status_detail: reason ? `${record.outcome}: ${reason}` : record.outcome }),
    message: `${record.action} ${record.outcome}${record.target ? ` ${record.target}` : ''}`,
    metadata: {
      version: OCSF_VERSION,
      uid: record.id,
      product: { name: PRODUCT.name, vendor_name: PRODUCT.vendor, version: PRODUCT.version },
      tenant_uid: record.tenant.id,
      ...(record.requestId ? { correlation_uid: record.requestId } : {}),
      log_name: 'audit_events',
      sequence: Number(record.seq),
      labels: [`tenant:${record.tenant.slug}`],
    },
    actor,
    src_endpoint: ip ? { ip } : {},
    unmapped: { airlock: record },
  };

  if (isAuth) {
    const protocol = authProtocolOf(record);
    const subject = str(record.details['subject']) ?? record.actor.subject;
    event['user'] = subject ? { uid: subject, type_id: 1, type: 'User' } : { type_id: 0, type: 'Unknown' };
    event['auth_protocol_id'] = protocol.id;
    event['auth_protocol'] = protocol.name;
    if (record.target) event['service'] = { name: record.target };
    if (sessionId) event['session'] = { uid: sessionId };
    event['is_remote'] = true;
  } else {
    const api: Record<string, unknown> = { operation: record.action, service: { name: serviceOf(record.action) } };
    if (record.requestId) api['request'] = { uid: record.requestId };
    event['api'] = api;
    if (record.target) event['resources'] = [{ uid: record.target, type: resourceTypeOf(record) }];
  }
  return event;
}

/** The Airlock service that recorded an action (by its prefix). */
function serviceOf(action: string): string {
  if (action.startsWith('mcp.') || action.startsWith('tool.')) return 'airlock-mcp-gateway';
  if (action.startsWith('session.')) return 'airlock-session-store';
  return 'airlock-auth-server';
}

function resourceTypeOf(record: AuditExportRecord): string {
  if (record.action === 'mcp.tools.call' || record.action.startsWith('tool.')) return 'mcp_tool';
  if (record.target?.startsWith('session:')) return 'session';
  const parts = record.action.split('.');
  return parts.length >= 3 ? (parts[1] as string) : (parts[0] as string);
}
