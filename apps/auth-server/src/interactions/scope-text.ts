import { Scopes } from '@airlock/contracts';

const KNOWN: Record<string, string> = {
  openid: 'Confirm who you are (your account identifier)',
  profile: 'See your name',
  email: 'See your email address',
  [Scopes.offlineAccess]: 'Stay connected when you are not using it (refresh tokens)',
  [Scopes.mcp]: 'Connect to MCP servers on your behalf and see which tools they offer',
  [Scopes.admin]: 'Administer this authorization server',
  [Scopes.sessionsRead]: 'See your sessions',
  [Scopes.sessionsWrite]: 'Create and end your sessions',
  [Scopes.sessionsAdmin]: 'Manage everyone’s sessions',
};

/** A scope in plain words for the consent and account pages. */
export function describeScope(scope: string): string {
  const known = KNOWN[scope];
  if (known) return known;
  const [namespace, action] = scope.split(':', 2);
  if (namespace && action) {
    const what = action === 'read' ? 'Read data' : action === 'write' ? 'Make changes' : action === 'admin' ? 'Perform administrative actions' : `Use “${action}” actions`;
    return `${what} with the “${namespace}” tools`;
  }
  return `Use tools that require the “${scope}” permission`;
}
