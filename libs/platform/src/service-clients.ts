import { createHmac } from 'node:crypto';

/** Internal confidential clients that exist in every tenant without a stored registration. */
export const ServiceClients = {
  /** The MCP gateway calling the session store. */
  gateway: 'airlock-gateway',
} as const;

/**
 * A service client's secret, derived from the master key so that the auth server (which checks it) and
 * the calling service (which presents it) agree without either storing it.
 */
export function deriveServiceClientSecret(masterKey: Buffer, clientId: string, tenant: string): string {
  return createHmac('sha256', masterKey).update(`service-client:${clientId}:${tenant}`).digest('base64url');
}
