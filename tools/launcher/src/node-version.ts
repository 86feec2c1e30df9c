// The oldest Node.js the platform runs on: undici 8 (the gateway's HTTP client) needs 22.19 for zstd
// decompression and fails at import time on anything older, with a stack trace that names neither Node
// nor the fix. Keep in step with package.json `engines`.
export const MINIMUM_NODE = [22, 19, 0] as const;

function parse(version: string): [number, number, number] {
  const [major = 0, minor = 0, patch = 0] = version.replace(/^v/, '').split('.').map((part) => Number.parseInt(part, 10) || 0);
  return [major, minor, patch];
}

export function isSupportedNode(version: string): boolean {
  const current = parse(version);
  for (let i = 0; i < 3; i++) {
    if (current[i]! !== MINIMUM_NODE[i]) return current[i]! > MINIMUM_NODE[i]!;
  }
  return true;
}

/** One line: what is running, what is needed, how to get it. */
export function unsupportedNodeMessage(version: string): string {
  return `Airlock needs Node.js ${MINIMUM_NODE.join('.')} or later (this is ${version}); install a current one, e.g. \`nvm install 24\`, or run it with \`npx -y node@24 tools/launcher/dist/main.js\`.`;
}
