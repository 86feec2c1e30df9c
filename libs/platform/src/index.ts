export { createInfra } from './infra.js';
export type { CreateInfraOptions, Infra } from './infra.js';
export { MasterKeyError, resolveMasterKey } from './master-key.js';
export { ServiceClients, deriveServiceClientSecret } from './service-clients.js';
export { openSecret, sealSecret, SecretBoxError } from './secret-box.js';
export type { StartedApp } from './started-app.js';
