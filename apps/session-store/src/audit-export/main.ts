import { sessionStoreConfigSchema } from '@airlock/config';
import { createPgPool } from '@airlock/db';
import { createLogger } from '@airlock/observability';
import { parseConfigOrExit, runProcess } from '@airlock/platform';
import { createAuditExporter } from './create-audit-exporter.js';

// The audit exporter alone (`node apps/session-store/dist/audit-export/main.js`): for a deployment that
// runs it beside, not inside, the session store, and for the crash test. Needs DATABASE_URL and at least one
// AUDIT_EXPORT_* sink; reads the session store's config (the same keys). Several may run: one exports
// each sink, the others stand by.
const config = parseConfigOrExit(sessionStoreConfigSchema);
const logger = createLogger({ name: 'audit-export', level: config.logLevel });

await runProcess({
  logger,
  async start(scope) {
    if (!config.databaseUrl) throw new Error('the audit exporter needs DATABASE_URL');
    const pg = createPgPool(config.databaseUrl, { max: 4 });
    scope.onStop('database', () => pg.end());
    const exporter = createAuditExporter(config.auditExport, { pg, logger });
    if (!exporter) throw new Error('no audit export sink is configured (AUDIT_EXPORT_JSONL, AUDIT_EXPORT_WEBHOOK_URL or AUDIT_EXPORT_SYSLOG)');
    exporter.start();
    scope.onStop('audit-export', () => exporter.close());
    logger.info('audit exporter started');
  },
});
