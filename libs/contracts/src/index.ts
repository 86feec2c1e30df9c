export { TENANT_SLUG_PATTERN, tenantSlugSchema, registrationPolicySchema } from './tenant.js';
export type { TenantSlug, RegistrationPolicy } from './tenant.js';
export { issuerUrl, aggregatedMcpUrl, serverMcpUrl, sessionStoreAudience, wellKnownUrl } from './urls.js';
export { Scopes, parseScope } from './scopes.js';
export {
  upstreamSecretContext,
  upstreamSecretsSchema,
  staticHeaderSecretsSchema,
  clientCredentialsSecretsSchema,
  stdioEnvSecretsSchema,
  oauthUserSecretsSchema,
} from './upstream-secrets.js';
export type { UpstreamSecrets, StaticHeaderSecrets, ClientCredentialsSecrets, StdioEnvSecrets, OAuthUserSecrets } from './upstream-secrets.js';
export {
  CONNECTED_ACCOUNT_CHANGED_CHANNEL,
  connectAccountUrl,
  connectedAccountContext,
  connectedAccountTokensSchema,
  upstreamOAuthClientContext,
  upstreamOAuthClientSchema,
} from './connected-accounts.js';
export type { ConnectedAccountTokens, UpstreamOAuthClient } from './connected-accounts.js';
export {
  createGroupMappingRequestSchema,
  createIdentityProviderRequestSchema,
  emailDomainSchema,
  groupMappingSchema,
  identityProviderConfigSchema,
  identityProviderKindSchema,
  identityProviderSchema,
  identityProviderSecretContext,
  identityProviderSlugSchema,
  oidcClaimMappingSchema,
  oidcPresetSchema,
  oidcProviderConfigSchema,
  oidcProviderSecretsSchema,
  parseIdentityProviderConfig,
  updateGroupMappingRequestSchema,
  updateIdentityProviderRequestSchema,
} from './identity-providers.js';
export type {
  CreateGroupMappingRequest,
  CreateIdentityProviderRequest,
  GroupMapping,
  IdentityProvider,
  IdentityProviderKind,
  OidcPreset,
  OidcProviderConfig,
  OidcProviderSecrets,
  UpdateGroupMappingRequest,
  UpdateIdentityProviderRequest,
} from './identity-providers.js';
export { accessTokenClaimsSchema, ACCESS_TOKEN_JWT_TYPE } from './access-token.js';
export type { AccessTokenClaims } from './access-token.js';
export {
  GRANT_REVOKED_CHANNEL,
  grantRevokedEventSchema,
  revokedGrantKey,
  REVOKED_GRANT_KEY_PATTERN,
  clientRevokedEventSchema,
  revokedClientKey,
  REVOKED_CLIENT_KEY_PATTERN,
  CLIENT_CREDENTIALS_GRANT_PREFIX,
  SESSION_EVENTS_CHANNEL,
  sessionEndedEventSchema,
  Queues,
  AUDIT_RECORD_JOB,
  CATALOG_CHANGED_CHANNEL,
  catalogChangedEventSchema,
  TENANT_CHANGED_CHANNEL,
  POLICY_CHANGED_CHANNEL,
} from './events.js';
export type { ClientRevokedEvent, GrantRevokedEvent, SessionEndedEvent, CatalogChangedEvent } from './events.js';
export { AUDIT_BATCH_JOB, AUDIT_BATCH_MAX, auditBatchSchema, auditEventSchema, auditOutcomeSchema } from './audit.js';
export type { AuditBatch, AuditEvent } from './audit.js';
export {
  sessionIdSchema,
  sessionKindSchema,
  sessionStateSchema,
  upstreamBindingSchema,
  sessionSchema,
  createSessionRequestSchema,
  listSessionsQuerySchema,
  revokeSessionsRequestSchema,
  pageSchema,
  updateSessionRequestSchema,
  touchSessionsRequestSchema,
  touchSessionsResponseSchema,
  revokeSessionRequestSchema,
  revokeSessionsResponseSchema,
} from './session.js';
export type {
  Session,
  CreateSessionRequest,
  ListSessionsQuery,
  RevokeSessionsRequest,
  UpdateSessionRequest,
  TouchSessionsRequest,
  RevokeSessionRequest,
} from './session.js';
export { stateHandleIdSchema, pendingInputSchema, stateHandleSchema, stateHandleKey } from './state-handle.js';
export type { StateHandle, PendingInput } from './state-handle.js';
export {
  adminListQuerySchema,
  adminRoleAssignmentsQuerySchema,
  adminTenantsQuerySchema,
  adminUsersQuerySchema,
  adminClientsQuerySchema,
  emptyRequestSchema,
  createTenantRequestSchema,
  updateTenantRequestSchema,
  setRegistrationPolicyRequestSchema,
  createUserRequestSchema,
  updateUserRequestSchema,
  createClientRequestSchema,
  updateClientRequestSchema,
  upstreamTransportSchema,
  upstreamCredentialKindSchema,
  upstreamServerNameSchema,
  sandboxReadOnlyPathSchema,
  createUpstreamServerRequestSchema,
  updateUpstreamServerRequestSchema,
  upstreamProtocolEraSchema,
  toolScopeSchema,
  toolDefinitionSchema,
  putToolsRequestSchema,
  setToolScopesRequestSchema,
  approveToolRequestSchema,
  toolPinningPolicySchema,
  rotateKeysRequestSchema,
  createInitialAccessTokenRequestSchema,
} from './admin.js';
export type {
  AdminListQuery,
  CreateTenantRequest,
  UpdateTenantRequest,
  CreateUserRequest,
  UpdateUserRequest,
  CreateClientRequest,
  UpdateClientRequest,
  CreateUpstreamServerRequest,
  UpdateUpstreamServerRequest,
  UpstreamProtocolEra,
  PutToolsRequest,
  ApproveToolRequest,
  ToolPinningPolicy,
} from './admin.js';
export {
  adminErrorCodeSchema,
  adminErrorStatus,
  adminErrorSchema,
  adminServerErrorSchema,
  tenantSchema,
  tenantWithCountsSchema,
  signOutResultSchema,
  grantSchema,
  registrationPolicyResponseSchema,
  initialAccessTokenResponseSchema,
  signingKeySchema,
  userSchema,
  clientSchema,
  createdClientSchema,
  toolSchema,
  toolDefinitionDifferenceSchema,
  pendingToolChangeSchema,
  upstreamServerSchema,
  upstreamServerWithToolsSchema,
  itemsSchema,
} from './admin-responses.js';
export type { AdminErrorCode, AdminErrorBody, ToolDefinitionDifference, PendingToolChange } from './admin-responses.js';
export {
  adminClientParamsSchema,
  adminPrincipalParamsSchema,
  adminPrincipalTypeSchema,
  adminRoleSchema,
  adminUserParamsSchema,
  createAdminClientRequestSchema,
  createAdminUserRequestSchema,
  enrollAdminTotpRequestSchema,
  putRoleAssignmentRequestSchema,
  roleAssignmentSchema,
  totpEnrollmentResponseSchema,
  updateAdminClientRequestSchema,
  updateAdminUserRequestSchema,
} from './admin-roles.js';
export type { AdminPrincipalType, AdminRole, PutRoleAssignmentRequest } from './admin-roles.js';
export {
  ADMIN_API_PREFIX,
  adminAuditQuerySchema,
  adminLoginSessionsQuerySchema,
  adminGroupMappingsQuerySchema,
  adminRevokeSessionsRequestSchema,
  adminRouteAccess,
  adminRouteRoles,
  adminRoutes,
  adminRouteUrl,
  adminSessionsQuerySchema,
  adminSessionSortSchema,
  defineAdminRoute,
} from './admin-routes.js';
export type { AdminRouteDefinition, AdminRouteMethod, AdminRouteName } from './admin-routes.js';
export {
  TOOL_CALL_AUDIT_ACTION,
  TOOL_CALL_METRICS_DEFAULT_RANGE_MS,
  TOOL_CALL_METRICS_MAX_BUCKETS,
  TOOL_CALL_METRICS_MAX_RANGE_MS,
  TOOL_CALL_METRICS_TOP_TENANTS,
  toolCallCountsSchema,
  toolCallMetricsQuerySchema,
  toolCallMetricsSchema,
  toolCallMetricsSteps,
} from './admin-metrics.js';
export type { ToolCallMetrics, ToolCallMetricsQuery, ToolCallMetricsStep } from './admin-metrics.js';
export { adminOpenApiDocument } from './admin-openapi.js';
export type { AdminOpenApiOptions, OpenApiDocument } from './admin-openapi.js';
export {
  JWT_BEARER_GRANT,
  TOKEN_EXCHANGE_GRANT_TYPE,
  ID_JAG_TOKEN_TYPE,
  ID_JAG_JWT_TYPE,
  ID_TOKEN_TYPE,
  ENTERPRISE_MANAGED_AUTHORIZATION_EXTENSION,
  inlineJwksSchema,
  trustedIssuerSchema,
  createTrustedIssuerRequestSchema,
  updateTrustedIssuerRequestSchema,
  idJagAudienceSchema,
  createIdJagAudienceRequestSchema,
  updateIdJagAudienceRequestSchema,
  preApprovalSchema,
  putPreApprovalRequestSchema,
} from './id-jag.js';
export type { CreateTrustedIssuerRequest, UpdateTrustedIssuerRequest, CreateIdJagAudienceRequest, UpdateIdJagAudienceRequest, PutPreApprovalRequest } from './id-jag.js';
export { SAML_PERSISTENT_NAMEID, samlProviderConfigSchema } from './saml-provider.js';
export type { SamlProviderConfig } from './saml-provider.js';
export {
  SCIM_PATH_PREFIX,
  SCIM_CONTENT_TYPE,
  ScimSchemas,
  scimErrorTypeSchema,
  scimErrorSchema,
  scimBooleanSchema,
  scimNameSchema,
  scimUserInputSchema,
  scimMemberInputSchema,
  scimGroupInputSchema,
  scimPatchOperationSchema,
  scimPatchRequestSchema,
  scimListQuerySchema,
  scimMetaSchema,
  scimUserSchema,
  scimGroupSchema,
  scimListResponseSchema,
  scimTokenSchema,
  createdScimTokenSchema,
  scimLinkRuleSchema,
} from './scim.js';
export type { ScimErrorType, ScimError, ScimUserInput, ScimGroupInput, ScimPatchOperation, ScimPatchRequest, ScimUser, ScimGroup, ScimLinkRule } from './scim.js';
export {
  callPolicyDefaultEffectSchema,
  callPolicySchema,
  putCallPolicyRequestSchema,
  callPolicyDiagnosticSchema,
  evaluateCallPolicyRequestSchema,
  callPolicyDecisionSchema,
} from './call-policy.js';
export type { CallPolicy, PutCallPolicyRequest, CallPolicyDiagnostic, EvaluateCallPolicyRequest, CallPolicyDecision } from './call-policy.js';
export { toolDefinitionDifferences } from './tool-definition-diff.js';
export {
  UPSTREAM_TEST_CHANNEL,
  upstreamTestReplyChannel,
  upstreamTestClaimKey,
  upstreamTestRequestSchema,
  upstreamTestStageSchema,
  upstreamTestErrorCodeSchema,
  upstreamTestResultSchema,
} from './upstream-test.js';
export type { UpstreamTestRequest, UpstreamTestStage, UpstreamTestErrorCode, UpstreamTestResult } from './upstream-test.js';
