import { authServerConfigSchema } from '@airlock/config';
import { runService } from '@airlock/platform';
import { startAuthServer } from './index.js';

// Runs the auth server alone (production: one service per container, migrations applied by the migrate job).
await runService({ name: 'auth-server', configSchema: authServerConfigSchema, start: startAuthServer });
