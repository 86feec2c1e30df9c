// The Cedar schema every tenant's call policy is validated against: what a rule may name and test.
// Cedar's strict validator checks each rule against it when the policy is saved, so a misspelt attribute
// or a type error is a 400 with Cedar's own diagnostics, not a rule that silently never matches.

/**
 * - `User`: the token's subject; its parents are the `Group`s the token carries (`groups` claim), and
 *   `scopes` the scopes it was granted.
 * - `Tool`: `<server>/<tool>` (the tool's name at its upstream), a member of its `Server`.
 * - `context.client`: the OAuth client that made the call.
 * - `context.arguments`: the call's top-level arguments as tags (strings as they are, every other value
 *   as its JSON text); `context.numbers`: the integer arguments as Long tags, for comparisons. Tags because
 *   arguments differ per tool, and Cedar's strict validation accepts no open records.
 */
export const CALL_POLICY_SCHEMA = `entity Group;
entity User in [Group] { scopes: Set<String> };
entity Client;
entity Server;
entity Tool in [Server] { name: String, server: String };
entity Arguments tags String;
entity NumericArguments tags Long;
action call_tool appliesTo {
  principal: User,
  resource: Tool,
  context: { client: Client, arguments: Arguments, numbers: NumericArguments }
};
`;

/** The one action a rule names: `action == Action::"call_tool"`. */
export const CALL_TOOL_ACTION = 'call_tool';
