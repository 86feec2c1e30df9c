import { sessionStoreConfigSchema } from '@airlock/config';
import { runService } from '@airlock/platform';
import { startSessionStore } from './index.js';

// Runs the session store alone (production: one service per container, migrations applied by the migrate job).
await runService({ name: 'session-store', configSchema: sessionStoreConfigSchema, start: startSessionStore });
