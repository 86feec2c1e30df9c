// Narrow injection tokens, one per side effect, so each class names exactly what it touches.
// The values come from the process's Infra (@airlock/platform), config and logger; see infra.module.ts.
export const PG_POOL = Symbol.for('airlock.auth-server.pg-pool');
/** Whether the database is the embedded PGlite one (the bootstrap warns about it). */
export const EMBEDDED_DATABASE = Symbol.for('airlock.auth-server.embedded-database');
export const HOT_STORE = Symbol.for('airlock.auth-server.hot-store');
export const QUEUES = Symbol.for('airlock.auth-server.queues');
export const MASTER_KEY = Symbol.for('airlock.auth-server.master-key');
export const AUTH_CONFIG = Symbol.for('airlock.auth-server.config');
export const LOGGER = Symbol.for('airlock.auth-server.logger');
