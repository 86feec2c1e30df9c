export { startTestIssuer } from './test-issuer.js';
export type { MintOptions, TestClient, TestIssuer, TestKeyAlg } from './test-issuer.js';
