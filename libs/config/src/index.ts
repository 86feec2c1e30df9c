export { ConfigError, loadConfig } from './load-config.js';
export type { ConfigIssue, Env } from './load-config.js';
export { boolean, httpUrl, logLevel, masterKey, optionalPort, port, positiveInt, postgresUrl, redisUrl, secretString } from './pieces.js';
export { authServerConfigSchema, gatewayConfigSchema, platformConfigSchema, sessionStoreConfigSchema } from './schemas.js';
export type { AuditExportConfig, AuthServerConfig, EgressConfig, GatewayConfig, HttpConfig, RuntimeConfig, SessionStoreConfig, StdioSandboxConfig } from './schemas.js';
export { isSecretKey, maskSecrets } from './mask.js';
