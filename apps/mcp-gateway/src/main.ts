import { gatewayConfigSchema } from '@airlock/config';
import { runService } from '@airlock/platform';
import { startMcpGateway } from './index.js';

// Runs the MCP gateway alone (production: one service per container, migrations applied by the migrate job).
// Stopping drains: readiness turns false, open streams get `retry` and close, in-flight calls finish.
await runService({ name: 'mcp-gateway', configSchema: gatewayConfigSchema, start: startMcpGateway });
