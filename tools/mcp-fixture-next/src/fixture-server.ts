import { randomBytes } from 'node:crypto';
import {
  McpServer,
  ProtocolError,
  ProtocolErrorCode,
  ResourceTemplate,
  acceptedContent,
  completable,
  createRequestStateCodec,
  inputRequired,
  inputResponse,
} from '@modelcontextprotocol/server';
import type { CallToolResult, ClientCapabilities, InputRequests, RequestStateCodec, ServerContext } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { EMPTY_WAV_BASE64, RED_PIXEL_PNG_BASE64 } from './media.js';

export interface NextFixtureOptions {
  /** Server name in `server/discover` and `_meta` serverInfo (several fixtures behind one gateway tell themselves apart). */
  name?: string;
  /** HMAC key for `requestState`; every process that may see a retry needs the same one. Random when absent. */
  requestStateKey?: Uint8Array;
}

/** What list mutations the diagnostic tools publish; the HTTP host wires it to its `subscriptions/listen` bus. */
export interface FixtureNotifier {
  toolsChanged(): void;
  promptsChanged(): void;
}

/** Shared across the per-request server instances of one process (the tool list a client sees can change). */
export interface FixtureState {
  extraToolEnabled: boolean;
  notifier?: FixtureNotifier;
  codec: RequestStateCodec<FlowState>;
  /** Labels of `test_wait_for_cancel` calls that started, and of those whose request was cancelled (the client closed the stream). */
  waiting: { started: string[]; cancelled: string[] };
}

/** What a multi-round-trip flow carries in its HMAC-sealed `requestState`. */
interface FlowState {
  flow: string;
  step: number;
  name?: string;
}

const CAPABILITIES_KEY = 'io.modelcontextprotocol/clientCapabilities';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const text = (value: string): CallToolResult => ({ content: [{ type: 'text', text: value }] });
const nameSchema = { type: 'object' as const, properties: { name: { type: 'string' as const } }, required: ['name'] };

export function createFixtureState(options: NextFixtureOptions = {}): FixtureState {
  return {
    extraToolEnabled: false,
    waiting: { started: [], cancelled: [] },
    codec: createRequestStateCodec<FlowState>({ key: options.requestStateKey ?? randomBytes(32), ttlSeconds: 600 }),
  };
}

/** Capabilities the request declared: from the per-request `_meta` envelope (modern) or the handshake (legacy). */
function clientCapabilities(server: McpServer, ctx: ServerContext): ClientCapabilities {
  const envelope = ctx.mcpReq.envelope as Record<string, unknown> | undefined;
  const declared = envelope?.[CAPABILITIES_KEY];
  if (declared && typeof declared === 'object') return declared as ClientCapabilities;
  return server.server.getClientCapabilities() ?? {};
}

/** The state this flow minted, or undefined on a first round. The SDK already rejected tampered state. */
function flowState(ctx: ServerContext, flow: string): FlowState | undefined {
  const state = ctx.mcpReq.requestState<FlowState>();
  if (state === undefined) return undefined;
  if (state.flow !== flow) throw new ProtocolError(ProtocolErrorCode.InvalidParams, 'requestState belongs to another request');
  return state;
}

/**
 * One McpServer instance per HTTP request (modern) or per connection (stdio / legacy), exposing what the
 * conformance suite's 2026-07-28 server scenarios describe plus `echo` and `confirm_action` for gateway tests.
 */
export function createNextFixtureServer(state: FixtureState, options: NextFixtureOptions = {}): McpServer {
  const server = new McpServer(
    { name: options.name ?? 'airlock-mcp-fixture-next', version: '0.1.0' },
    {
      capabilities: {
        tools: { listChanged: true },
        resources: { subscribe: true, listChanged: true },
        prompts: { listChanged: true },
        logging: {},
        completions: {},
      },
      instructions: 'Conformance fixture for Airlock (MCP 2026-07-28). Every tool is deterministic.',
      cacheHints: {
        'tools/list': { ttlMs: 60_000, cacheScope: 'public' },
        'prompts/list': { ttlMs: 60_000, cacheScope: 'public' },
        'resources/list': { ttlMs: 60_000, cacheScope: 'public' },
        'resources/templates/list': { ttlMs: 60_000, cacheScope: 'public' },
        'resources/read': { ttlMs: 30_000, cacheScope: 'private' },
        'server/discover': { ttlMs: 300_000, cacheScope: 'public' },
      },
      requestState: { verify: (wire, ctx) => state.codec.verify(wire, ctx) },
    },
  );
  registerContentTools(server);
  registerDiagnosticTools(server, state);
  registerInputRequiredTools(server, state);
  registerResources(server);
  registerPrompts(server);
  return server;
}

function registerContentTools(server: McpServer): void {
  server.registerTool('test_simple_text', { description: 'Returns simple text content' }, () => text('This is a simple text response for testing.'));
  server.registerTool('test_image_content', { description: 'Returns image content' }, () => ({
    content: [{ type: 'image', data: RED_PIXEL_PNG_BASE64, mimeType: 'image/png' }],
  }));
  server.registerTool('test_audio_content', { description: 'Returns audio content' }, () => ({
    content: [{ type: 'audio', data: EMPTY_WAV_BASE64, mimeType: 'audio/wav' }],
  }));
  server.registerTool('test_embedded_resource', { description: 'Returns an embedded resource' }, () => ({
    content: [{ type: 'resource', resource: { uri: 'test://embedded-resource', mimeType: 'text/plain', text: 'This is an embedded resource content.' } }],
  }));
  server.registerTool('test_multiple_content_types', { description: 'Returns text, image and resource content' }, () => ({
    content: [
      { type: 'text', text: 'Multiple content types test:' },
      { type: 'image', data: RED_PIXEL_PNG_BASE64, mimeType: 'image/png' },
      { type: 'resource', resource: { uri: 'test://mixed-content-resource', mimeType: 'application/json', text: JSON.stringify({ test: 'data', value: 123 }) } },
    ],
  }));
  server.registerTool('test_error_handling', { description: 'Always fails with a tool error' }, () => ({
    isError: true,
    content: [{ type: 'text', text: 'This tool intentionally returns an error for testing' }],
  }));
  server.registerTool('test_tool_with_progress', { description: 'Reports progress 0, 50, 100 of 100' }, async (ctx) => {
    const progressToken = ctx.mcpReq._meta?.progressToken;
    for (const [index, progress] of [0, 50, 100].entries()) {
      if (index > 0) await sleep(50);
      if (progressToken !== undefined) await ctx.mcpReq.notify({ method: 'notifications/progress', params: { progressToken, progress, total: 100 } });
    }
    return text('Tool with progress executed successfully');
  });
  const logging = async (ctx: ServerContext) => {
    // The SDK drops these unless the request set `_meta` logLevel (2026-07-28) or logging/setLevel (legacy).
    for (const [index, message] of ['Tool execution started', 'Tool processing data', 'Tool execution completed'].entries()) {
      if (index > 0) await sleep(50);
      await ctx.mcpReq.log('info', message, 'fixture');
    }
    return text('Tool with logging executed successfully');
  };
  server.registerTool('test_tool_with_logging', { description: 'Emits three log messages' }, logging);
  server.registerTool('test_logging_tool', { description: 'Emits log messages (only when the request asked for them)' }, logging);
  server.registerTool('echo', { description: 'Echoes its text argument', inputSchema: z.object({ text: z.string() }) }, ({ text: value }) => text(value));
}

function registerDiagnosticTools(server: McpServer, state: FixtureState): void {
  // Needs a sampling round trip: the SDK answers -32021 (HTTP 400) naming `sampling` when the request's
  // capabilities do not declare it, before anything reaches the client.
  server.registerTool('test_missing_capability', { description: 'Needs the client to declare sampling' }, (ctx) => {
    const view = inputResponse(ctx.mcpReq.inputResponses, 'completion');
    if (view.kind === 'sampling') return text('The client sampled.');
    return inputRequired({
      inputRequests: { completion: inputRequired.createMessage({ messages: [{ role: 'user', content: { type: 'text', text: 'Say hello' } }], maxTokens: 20 }) },
    });
  });
  server.registerTool('test_trigger_tool_change', { description: 'Toggles extra_tool and announces the tool list changed' }, () => {
    state.extraToolEnabled = !state.extraToolEnabled;
    state.notifier?.toolsChanged();
    return text(`extra_tool is now ${state.extraToolEnabled ? 'listed' : 'hidden'}`);
  });
  server.registerTool('test_trigger_prompt_change', { description: 'Announces the prompt list changed' }, () => {
    state.notifier?.promptsChanged();
    return text('Prompt list change announced');
  });
  // For cancellation tests: runs until its request is cancelled (or 60 s), and remembers which were.
  server.registerTool(
    'test_wait_for_cancel',
    { description: 'Waits until the request is cancelled, then records its label', inputSchema: z.object({ label: z.string() }) },
    async ({ label }, ctx) => {
      const signal = ctx.mcpReq.signal;
      state.waiting.started.push(label);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 60_000);
        signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        }, { once: true });
        if (signal.aborted) resolve();
      });
      if (signal.aborted) state.waiting.cancelled.push(label);
      return text(signal.aborted ? `${label}: cancelled` : `${label}: not cancelled`);
    },
  );
  server.registerTool('test_cancelled_calls', { description: 'Lists the labels of test_wait_for_cancel calls started and cancelled' }, () =>
    text(JSON.stringify(state.waiting)),
  );
  if (state.extraToolEnabled) server.registerTool('extra_tool', { description: 'Listed after test_trigger_tool_change' }, () => text('extra'));
}

function registerInputRequiredTools(server: McpServer, state: FixtureState): void {
  const askName = (message: string): InputRequests => ({ user_name: inputRequired.elicit({ message, requestedSchema: nameSchema }) });

  // Also the tool the missing-input, result-type, extra-params and validate-input scenarios call: anything
  // but an accepted `user_name` with a string `name` asks again rather than failing.
  server.registerTool('test_input_required_result_elicitation', { description: 'Asks for a name by elicitation, then greets' }, (ctx) => {
    const answer = acceptedContent(ctx.mcpReq.inputResponses, 'user_name', z.object({ name: z.string() }));
    if (!answer) return inputRequired({ inputRequests: askName('What is your name?') });
    return text(`Hello, ${answer.name}!`);
  });
  server.registerTool('test_streaming_elicitation', { description: 'Asks for a name; never sends a request on the stream' }, (ctx) => {
    const answer = acceptedContent(ctx.mcpReq.inputResponses, 'user_name', z.object({ name: z.string() }));
    if (!answer) return inputRequired({ inputRequests: askName('What is your name?') });
    return text(`Hello, ${answer.name}!`);
  });
  // For gateway tests across the era boundary: confirm by elicitation, then act.
  server.registerTool(
    'confirm_action',
    { description: 'Asks the user to confirm an action by elicitation', inputSchema: z.object({ action: z.string() }) },
    ({ action }, ctx) => {
      const view = inputResponse(ctx.mcpReq.inputResponses, 'confirm');
      if (view.kind !== 'elicit') {
        return inputRequired({
          inputRequests: {
            confirm: inputRequired.elicit({
              message: `Confirm ${action}?`,
              requestedSchema: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] },
            }),
          },
        });
      }
      const confirmed = view.action === 'accept' && view.content?.ok === true;
      return text(confirmed ? `${action}: done` : `${action}: ${view.action === 'accept' ? 'not confirmed' : view.action}`);
    },
  );
  server.registerTool('test_input_required_result_sampling', { description: 'Asks the client LLM a question' }, (ctx) => {
    const view = inputResponse(ctx.mcpReq.inputResponses, 'capital_question');
    if (view.kind !== 'sampling') {
      return inputRequired({
        inputRequests: {
          capital_question: inputRequired.createMessage({
            messages: [{ role: 'user', content: { type: 'text', text: 'What is the capital of France?' } }],
            maxTokens: 100,
          }),
        },
      });
    }
    const content = view.result.content;
    const answer = !Array.isArray(content) && content.type === 'text' ? content.text : JSON.stringify(content);
    return text(`LLM response: ${answer}`);
  });
  server.registerTool('test_input_required_result_list_roots', { description: 'Asks for the client roots' }, (ctx) => {
    const view = inputResponse(ctx.mcpReq.inputResponses, 'client_roots');
    if (view.kind !== 'roots') return inputRequired({ inputRequests: { client_roots: inputRequired.listRoots() } });
    return text(`Client roots: ${view.roots.map((root) => root.uri).join(', ') || '(none)'}`);
  });
  server.registerTool('test_input_required_result_request_state', { description: 'Round-trips an HMAC-sealed requestState' }, async (ctx) => {
    const flow = flowState(ctx, 'request_state');
    const confirmed = acceptedContent(ctx.mcpReq.inputResponses, 'confirm', z.object({ ok: z.boolean() }));
    if (flow && confirmed) return text(`state-ok: confirmed=${confirmed.ok}`);
    return inputRequired({
      inputRequests: {
        confirm: inputRequired.elicit({
          message: 'Please confirm',
          requestedSchema: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] },
        }),
      },
      requestState: await state.codec.mint({ flow: 'request_state', step: 1 }, ctx),
    });
  });
  server.registerTool('test_input_required_result_tampered_state', { description: 'Rejects a requestState that fails its HMAC' }, async (ctx) => {
    // A tampered state never reaches this handler: the SDK's verify hook answers -32602 first.
    const flow = flowState(ctx, 'tampered_state');
    const confirmed = acceptedContent(ctx.mcpReq.inputResponses, 'confirm', z.object({ ok: z.boolean() }));
    if (flow && confirmed) return text('state-ok');
    return inputRequired({
      inputRequests: {
        confirm: inputRequired.elicit({
          message: 'Please confirm',
          requestedSchema: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] },
        }),
      },
      requestState: await state.codec.mint({ flow: 'tampered_state', step: 1 }, ctx),
    });
  });
  server.registerTool('test_input_required_result_multiple_inputs', { description: 'Asks for elicitation, sampling and roots at once' }, async (ctx) => {
    const responses = ctx.mcpReq.inputResponses;
    const name = acceptedContent(responses, 'user_name', z.object({ name: z.string() }));
    const greeting = inputResponse(responses, 'greeting');
    const roots = inputResponse(responses, 'client_roots');
    if (flowState(ctx, 'multiple_inputs') && name && greeting.kind === 'sampling' && roots.kind === 'roots') {
      return text(`state-ok: ${name.name}, ${roots.roots.length} root(s), greeting received`);
    }
    return inputRequired({
      inputRequests: {
        ...askName('What is your name?'),
        greeting: inputRequired.createMessage({ messages: [{ role: 'user', content: { type: 'text', text: 'Generate a greeting' } }], maxTokens: 50 }),
        client_roots: inputRequired.listRoots(),
      },
      requestState: await state.codec.mint({ flow: 'multiple_inputs', step: 1 }, ctx),
    });
  });
  server.registerTool('test_input_required_result_multi_round', { description: 'Two elicitation rounds with evolving requestState' }, async (ctx) => {
    const flow = flowState(ctx, 'multi_round');
    const responses = ctx.mcpReq.inputResponses;
    if (flow?.step === 2) {
      const color = acceptedContent(responses, 'step2', z.object({ color: z.string() }));
      if (color) return text(`${flow.name ?? 'Someone'} likes ${color.color}`);
    }
    const step1 = flow?.step === 1 ? acceptedContent(responses, 'step1', z.object({ name: z.string() })) : undefined;
    if (step1 || flow?.step === 2) {
      const name = step1?.name ?? flow?.name;
      return inputRequired({
        inputRequests: {
          step2: inputRequired.elicit({
            message: 'Step 2: What is your favorite color?',
            requestedSchema: { type: 'object', properties: { color: { type: 'string' } }, required: ['color'] },
          }),
        },
        requestState: await state.codec.mint({ flow: 'multi_round', step: 2, ...(name ? { name } : {}) }, ctx),
      });
    }
    return inputRequired({
      inputRequests: { step1: inputRequired.elicit({ message: 'Step 1: What is your name?', requestedSchema: nameSchema }) },
      requestState: await state.codec.mint({ flow: 'multi_round', step: 1 }, ctx),
    });
  });
  server.registerTool('test_input_required_result_capabilities', { description: 'Asks only for what the client declared' }, (ctx) => {
    const declared = clientCapabilities(server, ctx);
    const responses = ctx.mcpReq.inputResponses;
    if (responses && Object.keys(responses).length > 0) return text(`Received: ${Object.keys(responses).sort().join(', ')}`);
    const requests: InputRequests = {};
    if (declared.elicitation) Object.assign(requests, askName('What is your name?'));
    if (declared.sampling) {
      requests.capital_question = inputRequired.createMessage({
        messages: [{ role: 'user', content: { type: 'text', text: 'What is the capital of France?' } }],
        maxTokens: 100,
      });
    }
    if (declared.roots) requests.client_roots = inputRequired.listRoots();
    if (Object.keys(requests).length === 0) return text('The client declared no input capabilities; nothing to ask.');
    return inputRequired({ inputRequests: requests });
  });
}

function registerResources(server: McpServer): void {
  server.registerResource(
    'static-text',
    'test://static-text',
    { description: 'A static text resource', mimeType: 'text/plain' },
    (uri) => ({ contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'This is the content of the static text resource.' }] }),
  );
  server.registerResource(
    'static-binary',
    'test://static-binary',
    { description: 'A static binary resource (1x1 PNG)', mimeType: 'image/png' },
    (uri) => ({ contents: [{ uri: uri.href, mimeType: 'image/png', blob: RED_PIXEL_PNG_BASE64 }] }),
  );
  server.registerResource(
    'watched-resource',
    'test://watched-resource',
    { description: 'A resource clients may subscribe to', mimeType: 'text/plain' },
    (uri) => ({ contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'Watched resource content.' }] }),
  );
  server.registerResource(
    'template-data',
    new ResourceTemplate('test://template/{id}/data', { list: undefined }),
    { description: 'Data for an id', mimeType: 'application/json' },
    (uri, variables) => {
      const id = String(variables.id);
      return { contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify({ id, templateTest: true, data: `Data for ID: ${id}` }) }] };
    },
  );
}

function registerPrompts(server: McpServer): void {
  server.registerPrompt('test_simple_prompt', { description: 'A simple prompt without arguments' }, () => ({
    messages: [{ role: 'user', content: { type: 'text', text: 'This is a simple prompt for testing.' } }],
  }));
  server.registerPrompt(
    'test_prompt_with_arguments',
    {
      description: 'A prompt with two required arguments',
      argsSchema: z.object({
        arg1: completable(z.string().describe('First test argument'), (value) => ['paris', 'park', 'party'].filter((word) => word.startsWith(value))),
        arg2: z.string().describe('Second test argument'),
      }),
    },
    ({ arg1, arg2 }) => ({ messages: [{ role: 'user', content: { type: 'text', text: `Prompt with arguments: arg1='${arg1}', arg2='${arg2}'` } }] }),
  );
  server.registerPrompt(
    'test_prompt_with_embedded_resource',
    { description: 'A prompt embedding a resource', argsSchema: z.object({ resourceUri: z.string().describe('URI of the resource to embed') }) },
    ({ resourceUri }) => ({
      messages: [
        { role: 'user', content: { type: 'resource', resource: { uri: resourceUri, mimeType: 'text/plain', text: 'Embedded resource content for testing.' } } },
        { role: 'user', content: { type: 'text', text: 'Please process the embedded resource above.' } },
      ],
    }),
  );
  server.registerPrompt('test_prompt_with_image', { description: 'A prompt with image content' }, () => ({
    messages: [
      { role: 'user', content: { type: 'image', data: RED_PIXEL_PNG_BASE64, mimeType: 'image/png' } },
      { role: 'user', content: { type: 'text', text: 'Please analyze the image above.' } },
    ],
  }));
  server.registerPrompt('test_input_required_result_prompt', { description: 'Asks for context by elicitation before rendering' }, (ctx) => {
    const answer = acceptedContent(ctx.mcpReq.inputResponses, 'user_context', z.object({ context: z.string() }));
    if (!answer) {
      return inputRequired({
        inputRequests: {
          user_context: inputRequired.elicit({
            message: 'What context should the prompt use?',
            requestedSchema: { type: 'object', properties: { context: { type: 'string' } }, required: ['context'] },
          }),
        },
      });
    }
    return { messages: [{ role: 'user', content: { type: 'text', text: `Prompt rendered with context: ${answer.context}` } }] };
  });
}
