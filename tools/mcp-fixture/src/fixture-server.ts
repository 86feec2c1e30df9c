import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  CompleteRequestSchema,
  CreateMessageResultSchema,
  ElicitResultSchema,
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  LoggingLevelSchema,
  McpError,
  ReadResourceRequestSchema,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import type { CallToolResult, LoggingLevel, ServerNotification, ServerRequest, Tool } from '@modelcontextprotocol/sdk/types.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import { RED_PIXEL_PNG_BASE64, SILENT_WAV_BASE64 } from './media.js';
import { PROMPTS, RESOURCES, RESOURCE_TEMPLATES, renderPrompt, readResource } from './fixture-catalogue.js';
import { TOOLS } from './fixture-tools.js';

export interface FixtureOptions {
  /** Server name in the initialize result (several fixtures behind one gateway tell themselves apart). */
  name?: string;
  /** Splits every list into pages of this size (exercises cursor forwarding); unpaginated when absent. */
  pageSize?: number;
  /**
   * Behaves like an upstream that normalises tool names: a call's name is trimmed and lower-cased before
   * it is looked up (`SECRET_OP` and ` secret_op` run `secret_op`), and `secret_op` (a tool tests give a
   * scope) and `secret_op_runs` (how often it ran in this process) are listed.
   */
  normaliseToolNames?: boolean;
}

/** Runs of `secret_op` in this process (over HTTP every session's server shares it): what reached the upstream. */
let secretOpRuns = 0;

const SECRET_TOOLS: readonly Tool[] = [
  { name: 'secret_op', description: 'A tool gateway tests protect with a scope', inputSchema: { type: 'object', properties: {} } },
  { name: 'secret_op_runs', description: 'How many times secret_op ran in this fixture process', inputSchema: { type: 'object', properties: {} } },
];

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const text = (value: string): CallToolResult => ({ content: [{ type: 'text', text: value }] });

/** Cursor = the index of the first item of the page, base64url so clients treat it as opaque. */
function paginate<T>(items: readonly T[], cursor: string | undefined, pageSize: number | undefined): { page: T[]; nextCursor?: string } {
  let start = 0;
  if (cursor !== undefined) {
    start = Number(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Number.isInteger(start) || start < 0 || start > items.length) throw new McpError(ErrorCode.InvalidParams, 'Invalid cursor');
  }
  if (!pageSize) return { page: items.slice(start) };
  const end = start + pageSize;
  return end < items.length
    ? { page: items.slice(start, end), nextCursor: Buffer.from(String(end), 'utf8').toString('base64url') }
    : { page: items.slice(start) };
}

/**
 * One MCP server instance (one per session over HTTP, one per process over stdio) exposing exactly what
 * the conformance suite's server scenarios describe, plus a few tools the gateway tests use.
 */
export function createFixtureServer(options: FixtureOptions = {}): Server {
  const server = new Server(
    { name: options.name ?? 'airlock-mcp-fixture', version: '0.1.0' },
    {
      capabilities: {
        tools: { listChanged: true },
        resources: { subscribe: true, listChanged: true },
        prompts: { listChanged: true },
        logging: {},
        completions: {},
      },
      instructions: 'Conformance fixture for Airlock. Every tool is deterministic.',
    },
  );

  let logLevel: LoggingLevel | undefined;
  const subscriptions = new Set<string>();
  let extraToolEnabled = false;
  const severity = (level: LoggingLevel) => LoggingLevelSchema.options.indexOf(level);

  const log = async (extra: Extra, level: LoggingLevel, data: string) => {
    if (logLevel && severity(level) < severity(logLevel)) return;
    await extra.sendNotification({ method: 'notifications/message', params: { level, logger: 'fixture', data } });
  };

  server.setRequestHandler(SetLevelRequestSchema, async (request) => {
    logLevel = request.params.level;
    return {};
  });

  const visibleTools = (): Tool[] => [
    ...TOOLS,
    ...(options.normaliseToolNames ? SECRET_TOOLS : []),
    ...(extraToolEnabled ? [{ name: 'extra_tool', description: 'Appears after toggle_extra_tool', inputSchema: { type: 'object' as const } }] : []),
  ];

  server.setRequestHandler(ListToolsRequestSchema, async (request) => {
    const { page, nextCursor } = paginate(visibleTools(), request.params?.cursor, options.pageSize);
    return { tools: page, ...(nextCursor ? { nextCursor } : {}) };
  });

  server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
    const args = request.params.arguments ?? {};
    const stringArg = (key: string): string => {
      const value = args[key];
      if (typeof value !== 'string') throw new McpError(ErrorCode.InvalidParams, `Argument "${key}" must be a string`);
      return value;
    };
    const name = options.normaliseToolNames ? request.params.name.trim().toLowerCase() : request.params.name;
    switch (name) {
      case 'secret_op':
        if (!options.normaliseToolNames) break;
        secretOpRuns += 1;
        return text('secret done');
      case 'secret_op_runs':
        if (!options.normaliseToolNames) break;
        return text(String(secretOpRuns));
      case 'test_simple_text':
        return text('This is a simple text response for testing.');
      case 'test_image_content':
        return { content: [{ type: 'image', data: RED_PIXEL_PNG_BASE64, mimeType: 'image/png' }] };
      case 'test_audio_content':
        return { content: [{ type: 'audio', data: SILENT_WAV_BASE64, mimeType: 'audio/wav' }] };
      case 'test_embedded_resource':
        return {
          content: [{ type: 'resource', resource: { uri: 'test://embedded-resource', mimeType: 'text/plain', text: 'This is an embedded resource content.' } }],
        };
      case 'test_multiple_content_types':
        return {
          content: [
            { type: 'text', text: 'Multiple content types test:' },
            { type: 'image', data: RED_PIXEL_PNG_BASE64, mimeType: 'image/png' },
            {
              type: 'resource',
              resource: { uri: 'test://mixed-content-resource', mimeType: 'application/json', text: JSON.stringify({ test: 'data', value: 123 }) },
            },
          ],
        };
      case 'test_tool_with_logging':
        await log(extra, 'info', 'Tool execution started');
        await sleep(50);
        await log(extra, 'info', 'Tool processing data');
        await sleep(50);
        await log(extra, 'info', 'Tool execution completed');
        return text('Tool with logging executed successfully');
      case 'test_tool_with_progress': {
        const progressToken = request.params._meta?.progressToken;
        for (const [index, progress] of [0, 50, 100].entries()) {
          if (index > 0) await sleep(50);
          if (progressToken !== undefined) {
            await extra.sendNotification({ method: 'notifications/progress', params: { progressToken, progress, total: 100, message: `${progress}%` } });
          }
        }
        return text('Tool with progress executed successfully');
      }
      case 'test_error_handling':
        return { isError: true, content: [{ type: 'text', text: 'This tool intentionally returns an error for testing' }] };
      case 'test_sampling': {
        if (!server.getClientCapabilities()?.sampling) throw new McpError(ErrorCode.InvalidRequest, 'The client does not support sampling');
        const result = await extra.sendRequest(
          {
            method: 'sampling/createMessage',
            params: { messages: [{ role: 'user', content: { type: 'text', text: stringArg('prompt') } }], maxTokens: 100 },
          },
          CreateMessageResultSchema,
        );
        const reply = result.content.type === 'text' ? result.content.text : `[${result.content.type}]`;
        return text(`LLM response: ${reply}`);
      }
      case 'test_elicitation': {
        if (!server.getClientCapabilities()?.elicitation) throw new McpError(ErrorCode.InvalidRequest, 'The client does not support elicitation');
        const result = await extra.sendRequest(
          {
            method: 'elicitation/create',
            params: {
              message: stringArg('message'),
              requestedSchema: {
                type: 'object',
                properties: {
                  username: { type: 'string', description: "User's response" },
                  email: { type: 'string', description: "User's email address" },
                },
                required: ['username', 'email'],
              },
            },
          },
          ElicitResultSchema,
        );
        return text(`User response: action=${result.action}, content=${JSON.stringify(result.content ?? {})}`);
      }
      case 'test_elicitation_sep1034_defaults': {
        const result = await extra.sendRequest(
          {
            method: 'elicitation/create',
            params: {
              message: 'Please review and update the form fields with defaults',
              requestedSchema: {
                type: 'object',
                properties: {
                  name: { type: 'string', description: 'User name', default: 'John Doe' },
                  age: { type: 'integer', description: 'User age', default: 30 },
                  score: { type: 'number', description: 'User score', default: 95.5 },
                  status: { type: 'string', description: 'User status', enum: ['active', 'inactive', 'pending'], default: 'active' },
                  verified: { type: 'boolean', description: 'Verification status', default: true },
                },
              },
            },
          },
          ElicitResultSchema,
        );
        return text(`Elicitation completed: action=${result.action}, content=${JSON.stringify(result.content ?? {})}`);
      }
      case 'test_elicitation_sep1330_enums': {
        const result = await extra.sendRequest(
          {
            method: 'elicitation/create',
            params: {
              message: 'Please select options from the enum fields',
              requestedSchema: {
                type: 'object',
                properties: {
                  untitledSingle: { type: 'string', description: 'Untitled single-select', enum: ['option1', 'option2', 'option3'] },
                  titledSingle: {
                    type: 'string',
                    description: 'Titled single-select',
                    oneOf: [
                      { const: 'value1', title: 'First Option' },
                      { const: 'value2', title: 'Second Option' },
                      { const: 'value3', title: 'Third Option' },
                    ],
                  },
                  legacyEnum: {
                    type: 'string',
                    description: 'Legacy titled enum',
                    enum: ['opt1', 'opt2', 'opt3'],
                    enumNames: ['Option One', 'Option Two', 'Option Three'],
                  },
                  untitledMulti: {
                    type: 'array',
                    description: 'Untitled multi-select',
                    items: { type: 'string', enum: ['option1', 'option2', 'option3'] },
                  },
                  titledMulti: {
                    type: 'array',
                    description: 'Titled multi-select',
                    items: {
                      anyOf: [
                        { const: 'value1', title: 'First Choice' },
                        { const: 'value2', title: 'Second Choice' },
                        { const: 'value3', title: 'Third Choice' },
                      ],
                    },
                  },
                },
              },
            },
          },
          ElicitResultSchema,
        );
        return text(`Elicitation completed: action=${result.action}, content=${JSON.stringify(result.content ?? {})}`);
      }
      case 'json_schema_2020_12_tool':
        return text(`Received: ${JSON.stringify(args)}`);
      case 'test_reconnection':
        // SEP-1699 polling: end the POST stream mid-call; the client resumes with Last-Event-ID and gets the
        // result replayed from the event store. Over stdio there is no stream to close.
        await sleep(100);
        extra.closeSSEStream?.();
        await sleep(200);
        return text('Reconnection test completed successfully');
      case 'echo':
        return text(stringArg('text'));
      case 'whoami':
        // Lets the gateway tests prove which upstream session served a call, and that no token came along.
        return text(
          JSON.stringify({
            sessionId: extra.sessionId ?? null,
            authorization: extra.requestInfo?.headers['authorization'] ?? null,
            apiKey: extra.requestInfo?.headers['x-api-key'] ?? null,
          }),
        );
      case 'toggle_extra_tool':
        extraToolEnabled = !extraToolEnabled;
        await server.sendToolListChanged();
        return text(`extra_tool ${extraToolEnabled ? 'enabled' : 'disabled'}`);
      case 'exit_process':
        // After the answer is flushed, so the caller sees the call succeed and then the upstream vanish.
        setTimeout(() => process.exit(0), 50);
        return text('exiting');
      case 'slow':
        await sleep(Number(args['ms'] ?? 500));
        return text('slow done');
      case 'extra_tool':
        if (extraToolEnabled) return text('extra tool called');
        break;
    }
    throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${request.params.name}`);
  });

  server.setRequestHandler(ListResourcesRequestSchema, async (request) => {
    const { page, nextCursor } = paginate(RESOURCES, request.params?.cursor, options.pageSize);
    return { resources: page, ...(nextCursor ? { nextCursor } : {}) };
  });
  server.setRequestHandler(ListResourceTemplatesRequestSchema, async (request) => {
    const { page, nextCursor } = paginate(RESOURCE_TEMPLATES, request.params?.cursor, options.pageSize);
    return { resourceTemplates: page, ...(nextCursor ? { nextCursor } : {}) };
  });
  server.setRequestHandler(ReadResourceRequestSchema, async (request) => {
    const contents = readResource(request.params.uri);
    // -32002 is the spec's "resource not found".
    if (!contents) throw new McpError(-32002, 'Resource not found', { uri: request.params.uri });
    return { contents: [contents] };
  });
  server.setRequestHandler(SubscribeRequestSchema, async (request) => {
    subscriptions.add(request.params.uri);
    return {};
  });
  server.setRequestHandler(UnsubscribeRequestSchema, async (request) => {
    subscriptions.delete(request.params.uri);
    return {};
  });

  server.setRequestHandler(ListPromptsRequestSchema, async (request) => {
    const { page, nextCursor } = paginate(PROMPTS, request.params?.cursor, options.pageSize);
    return { prompts: page, ...(nextCursor ? { nextCursor } : {}) };
  });
  server.setRequestHandler(GetPromptRequestSchema, async (request) => {
    const result = renderPrompt(request.params.name, request.params.arguments ?? {});
    if (typeof result === 'string') throw new McpError(ErrorCode.InvalidParams, result);
    return result;
  });

  server.setRequestHandler(CompleteRequestSchema, async (request) => {
    const { ref, argument } = request.params;
    const candidates: Record<string, string[]> = {
      arg1: ['paris', 'park', 'party', 'test', 'testing'],
      arg2: ['world', 'work', 'word'],
      id: ['123', '456', '789'],
    };
    const known = (ref.type === 'ref/prompt' && ref.name === 'test_prompt_with_arguments') || (ref.type === 'ref/resource' && ref.uri === 'test://template/{id}/data');
    const values = known ? (candidates[argument.name] ?? []).filter((value) => value.startsWith(argument.value)) : [];
    return { completion: { values, total: values.length, hasMore: false } };
  });

  return server;
}
