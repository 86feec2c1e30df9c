import type { Tool } from '@modelcontextprotocol/sdk/types.js';

const noArgs = { type: 'object', properties: {} } as const;

/** Tools named by the conformance scenarios, then the few the gateway tests add. */
export const TOOLS: readonly Tool[] = [
  { name: 'test_simple_text', description: 'Returns simple text content', inputSchema: noArgs },
  { name: 'test_image_content', description: 'Returns a 1x1 red PNG', inputSchema: noArgs },
  { name: 'test_audio_content', description: 'Returns a short silent WAV', inputSchema: noArgs },
  { name: 'test_embedded_resource', description: 'Returns an embedded text resource', inputSchema: noArgs },
  { name: 'test_multiple_content_types', description: 'Returns text, image and resource content', inputSchema: noArgs },
  { name: 'test_tool_with_logging', description: 'Sends three info log messages while it runs', inputSchema: noArgs },
  { name: 'test_tool_with_progress', description: 'Reports progress 0, 50 and 100 of 100', inputSchema: noArgs },
  { name: 'test_error_handling', description: 'Always returns a tool error', inputSchema: noArgs },
  {
    name: 'test_sampling',
    description: 'Asks the client for an LLM completion',
    inputSchema: { type: 'object', properties: { prompt: { type: 'string', description: 'The prompt to send to the LLM' } }, required: ['prompt'] },
  },
  {
    name: 'test_elicitation',
    description: 'Asks the user for input through the client',
    inputSchema: { type: 'object', properties: { message: { type: 'string', description: 'The message to show the user' } }, required: ['message'] },
  },
  { name: 'test_elicitation_sep1034_defaults', description: 'Elicitation with defaults for every primitive type (SEP-1034)', inputSchema: noArgs },
  { name: 'test_elicitation_sep1330_enums', description: 'Elicitation with every enum variant (SEP-1330)', inputSchema: noArgs },
  {
    name: 'json_schema_2020_12_tool',
    description: 'Tool with JSON Schema 2020-12 features',
    inputSchema: {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      $defs: { address: { type: 'object', properties: { street: { type: 'string' }, city: { type: 'string' } } } },
      properties: { name: { type: 'string' }, address: { $ref: '#/$defs/address' } },
      additionalProperties: false,
    },
  },
  { name: 'test_reconnection', description: 'Closes its SSE stream mid-call so the client resumes (SEP-1699)', inputSchema: noArgs },
  {
    name: 'echo',
    description: 'Returns its text argument',
    inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
  },
  { name: 'whoami', description: 'Reports the upstream session id and any Authorization header it received', inputSchema: noArgs },
  { name: 'toggle_extra_tool', description: 'Adds or removes extra_tool and sends tools/list_changed', inputSchema: noArgs },
  { name: 'exit_process', description: 'Ends the fixture process (tests of upstreams that die)', inputSchema: noArgs },
  { name: 'slow', description: 'Waits ms milliseconds (default 500), then answers', inputSchema: { type: 'object', properties: { ms: { type: 'number' } } } },
];
