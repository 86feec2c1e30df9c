import { isSupportedNode, unsupportedNodeMessage } from './node-version.js';

// `npm start`. The Node version is checked before anything heavy is imported: on an older Node the
// dependencies fail while loading, with a stack trace instead of a reason.
if (!isSupportedNode(process.version)) {
  process.stderr.write(`${unsupportedNodeMessage(process.version)}\n`);
  process.exit(1);
}
await import('./start.js');
