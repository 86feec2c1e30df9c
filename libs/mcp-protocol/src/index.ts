export { MetaKeys, McpHeaders, ErrorCodes, INPUT_REQUEST_METHODS, MRTR_METHODS, CACHEABLE_METHODS, MODERN_CLIENT_METHODS, NAMED_METHODS } from './protocol.js';
export type { InputRequestMethod } from './protocol.js';
export {
  MODERN_PROTOCOL_VERSION,
  LATEST_LEGACY_PROTOCOL_VERSION,
  LEGACY_PROTOCOL_VERSIONS,
  SUPPORTED_PROTOCOL_VERSIONS,
  DEFAULT_LEGACY_PROTOCOL_VERSION,
  isModernRevision,
  isSupportedLegacyVersion,
  negotiateLegacyProtocolVersion,
  allowsBatches,
  supportsPrimingEvents,
} from './protocol-versions.js';
export { jsonRpcShapeProblem, jsonRpcErrorResponse, isRequest, isNotification, isResponse } from './json-rpc.js';
export type { JsonRpcId, JsonRpcRequest, JsonRpcNotification, JsonRpcResponse, JsonRpcErrorObject, JsonRpcMessage } from './json-rpc.js';
export { encodeHeaderValue, decodeHeaderValue } from './header-values.js';
export { detectEra, validateModernRequest, unsupportedVersionError } from './modern-request.js';
export type { Era, EraInput, HeaderLookup, ModernRequest, ModernRejection, ModernValidation, ModernValidationInput } from './modern-request.js';
export { inputAnswerSchemas, inputRequestEntrySchema, inputRequiredResultSchema, requiredCapability, declaresCapability } from './input-shapes.js';
export type { InputRequestEntry, InputRequiredResult, JsonRpcRequestMessage, JsonRpcResponseMessage } from './input-shapes.js';
export {
  inputKeyFor,
  parkUpstreamRequests,
  answerUpstreamRequests,
  reaskPending,
  modernResultFromLegacy,
  modernErrorFromLegacy,
  urlElicitationErrorToInputRequired,
} from './legacy-upstream-bridge.js';
export type { UpstreamServerRequest, ParkOutcome, AnswerOutcome } from './legacy-upstream-bridge.js';
export {
  MAX_INPUT_ROUNDS,
  envelopeForLegacyClient,
  withEnvelope,
  modernRequestHeaders,
  legacyResultFromModern,
  clientRequestsFromInputRequired,
  retryParamsFromClientAnswers,
} from './modern-upstream-bridge.js';
export type { LegacyClientProfile, ClientRequestsOutcome, RetryOutcome } from './modern-upstream-bridge.js';
export { requestDigest } from './request-digest.js';
export {
  LISTEN_NOTIFICATIONS,
  parseListenFilter,
  honoredFilter,
  isEmptyFilter,
  listenFilterAccepts,
  listenNotification,
  listenAcknowledgement,
  listenEndResponse,
  withoutSubscriptionId,
} from './subscriptions-listen.js';
export type { SubscriptionFilter } from './subscriptions-listen.js';
