/** Which endpoint a session was opened on: the tenant's aggregate, or one hosted server. */
export type EndpointTarget = { kind: 'aggregated' } | { kind: 'server'; server: string };

export interface GatewaySession {
  id: string;
  tenant: string;
  subject: string;
  clientId: string;
  grantId?: string | undefined;
  target: EndpointTarget;
  protocolVersion: string;
  clientCapabilities: Record<string, unknown>;
  clientInfo?: Record<string, unknown> | undefined;
  /** The replica that holds the upstream connections; others forward to it. */
  home: string;
  createdAt: string;
}

export type NewGatewaySession = Omit<GatewaySession, 'id' | 'createdAt'> & {
  upstreams: string[];
  /** The access token's `iat`: the session store refuses a session whose client was revoked after it. */
  tokenIssuedAt?: number | undefined;
};

/**
 * Where MCP sessions live. Production: the session store (through libs/session-client), so sessions
 * are listed, revoked and expired in one place. A standalone gateway (and the gateway's own isolated
 * tests) can keep them in the hot store instead. Either way every replica sees the same sessions.
 */
export interface SessionDirectory {
  start(): Promise<void>;
  create(fields: NewGatewaySession): Promise<GatewaySession>;
  /** The live session, or undefined when unknown, ended, expired or revoked. */
  find(tenant: string, id: string, options?: { fresh?: boolean }): Promise<GatewaySession | undefined>;
  /** Records a new home replica (after adoption); the caller holds the adoption claim. */
  rehome(session: GatewaySession, home: string): Promise<void>;
  touch(session: GatewaySession): Promise<void>;
  end(tenant: string, id: string, reason: string): Promise<void>;
  /**
   * Called on every replica when a session ends for any reason (the home closes its upstreams);
   * `onMissed` after a reconnect, when announcements may have been lost (the home checks its sessions).
   */
  onEnded(listener: (id: string) => void, onMissed?: () => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}
