// Group mappings applied to token scopes (issue 16). A scope that any group mapping of the tenant names is
// *governed*: a user's token carries it only while one of the user's current groups maps to it. Every other
// scope is *ungoverned* and behaves as before (consent and the resource decide). Evaluated at every token
// (authorization code, refresh, ID-JAG), so a group removed at the provider or by SCIM removes the scope at
// the user's next token; a mapping never adds a scope the client did not request and the user did not grant.

/** A user's groups now, and what the tenant's group mappings make of them. */
export interface GroupAccess {
  /** SCIM memberships and provider-asserted groups, deduplicated and sorted (at most 100: the `groups` claim). */
  groups: string[];
  /** Every scope some group mapping of the tenant names. */
  governedScopes: ReadonlySet<string>;
  /** The governed scopes one of the user's groups maps to. */
  allowedScopes: ReadonlySet<string>;
}

export const NO_GROUP_ACCESS: GroupAccess = { groups: [], governedScopes: new Set(), allowedScopes: new Set() };

/** `scopes` minus the governed ones the user's current groups do not allow (order kept). */
export function withinGroupScopes(scopes: readonly string[], access: GroupAccess): string[] {
  return scopes.filter((scope) => !access.governedScopes.has(scope) || access.allowedScopes.has(scope));
}

/** The governed scopes of `scopes` the user's current groups do not allow (for refusals and audit). */
export function withheldByGroups(scopes: readonly string[], access: GroupAccess): string[] {
  return scopes.filter((scope) => access.governedScopes.has(scope) && !access.allowedScopes.has(scope));
}
