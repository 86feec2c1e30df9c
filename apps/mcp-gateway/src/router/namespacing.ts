// How the aggregated endpoint keeps every server's names apart. Server names are `[a-z0-9_-]` (admin
// API); the aggregate takes only those without `__` and not ending in `_`, so the split at the first
// separator is unambiguous:
//   tools and prompts: `<server>__<name>`; resource URIs and templates: `<server>+<uri>` (still a URI:
//   `+` is allowed in a scheme, so `fixture+test://static-text` parses like the original).

export const SERVER_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** Whether a server's names can be namespaced without ambiguity (others are served on their own endpoint only). */
export const aggregatable = (server: string) => SERVER_NAME.test(server) && !server.includes('__') && !server.endsWith('_');

export const namespacedName = (server: string, name: string) => `${server}__${name}`;
export const namespacedUri = (server: string, uri: string) => `${server}+${uri}`;

export function splitName(value: string): { server: string; name: string } | undefined {
  const at = value.indexOf('__');
  if (at <= 0) return undefined;
  const server = value.slice(0, at);
  return aggregatable(server) ? { server, name: value.slice(at + 2) } : undefined;
}

export function splitUri(value: string): { server: string; uri: string } | undefined {
  const at = value.indexOf('+');
  if (at <= 0) return undefined;
  const server = value.slice(0, at);
  return aggregatable(server) ? { server, uri: value.slice(at + 1) } : undefined;
}

/** The server and tool a name designates on an endpoint: its own server, or `<server>__<tool>` on the aggregate. */
export function toolTarget(endpointServer: string | undefined, shown: string): { server: string; tool: string } {
  if (endpointServer !== undefined) return { server: endpointServer, tool: shown };
  const split = splitName(shown);
  return split ? { server: split.server, tool: split.name } : { server: '', tool: shown };
}
