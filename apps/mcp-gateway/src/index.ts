export { startMcpGateway } from './start-mcp-gateway.js';
export type { GatewayTuning, StartMcpGatewayOptions } from './start-mcp-gateway.js';
export type { UpstreamSecrets } from './upstream/upstream-credentials.js';
