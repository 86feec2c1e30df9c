export { runBridge } from './bridge.js';
export type { BridgeOptions, RunningBridge } from './bridge.js';
export { FileOAuthProvider } from './file-oauth-provider.js';
export { DEFAULT_LOOPBACK_PORT, LoopbackPortBusyError, startLoopbackReceiver } from './loopback-receiver.js';
export type { LoopbackReceiver } from './loopback-receiver.js';
export { TokenFile } from './token-file.js';
export type { ServerCredentials } from './token-file.js';
