import { z } from 'zod';
import type { InputRequestMethod, JsonRpcErrorObject, JsonRpcId } from './protocol.js';

// The shapes both directions of the era bridge check: the embedded requests of an `input_required` result
// and the answers a client gives them (bare results in 2026-07-28 `inputResponses`, JSON-RPC results in
// 2025-11-25). Loose objects: unknown members pass through untouched, only what the bridge relies on is checked.

export interface InputRequestEntry {
  method: InputRequestMethod;
  params: Record<string, unknown>;
}

export interface InputRequiredResult {
  resultType: 'input_required';
  inputRequests?: Record<string, InputRequestEntry>;
  requestState?: string;
  _meta?: Record<string, unknown>;
}

export interface JsonRpcRequestMessage {
  jsonrpc: '2.0';
  id: JsonRpcId;
  method: string;
  params?: Record<string, unknown>;
}

export type JsonRpcResponseMessage =
  | { jsonrpc: '2.0'; id: JsonRpcId; result: Record<string, unknown> }
  | { jsonrpc: '2.0'; id: JsonRpcId; error: JsonRpcErrorObject };

const contentBlock = z.looseObject({ type: z.string() });

/** The answer each kind of input request needs; anything else is "not answered" and gets asked again. */
export const inputAnswerSchemas: Record<InputRequestMethod, z.ZodType<Record<string, unknown>>> = {
  'elicitation/create': z.looseObject({
    action: z.enum(['accept', 'decline', 'cancel']),
    content: z.record(z.string(), z.unknown()).optional(),
  }),
  'sampling/createMessage': z.looseObject({
    role: z.enum(['user', 'assistant']),
    content: z.union([contentBlock, z.array(contentBlock)]),
    model: z.string(),
  }),
  'roots/list': z.looseObject({ roots: z.array(z.looseObject({ uri: z.string() })) }),
};

export const inputRequestEntrySchema = z.object({
  method: z.enum(['sampling/createMessage', 'elicitation/create', 'roots/list']),
  params: z.record(z.string(), z.unknown()).default({}),
});

export const inputRequiredResultSchema = z.looseObject({
  resultType: z.literal('input_required'),
  inputRequests: z.record(z.string(), inputRequestEntrySchema).optional(),
  requestState: z.string().optional(),
});

/** The capability a client must declare before it may be asked `method` with `params`. */
export function requiredCapability(method: InputRequestMethod, params: Record<string, unknown>): Record<string, unknown> {
  switch (method) {
    case 'elicitation/create':
      return params.mode === 'url' ? { elicitation: { url: {} } } : { elicitation: {} };
    case 'sampling/createMessage':
      return params.tools !== undefined ? { sampling: { tools: {} } } : { sampling: {} };
    case 'roots/list':
      return { roots: {} };
  }
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Whether `declared` covers `required` (one level deep: `{ elicitation: { url: {} } }` needs an `elicitation`
 * capability that names `url`; an empty `elicitation` object means form mode only, as the spec says).
 */
export function declaresCapability(declared: Record<string, unknown>, required: Record<string, unknown>): boolean {
  return Object.entries(required).every(([capability, sub]) => {
    const have = declared[capability];
    if (!isObject(have)) return false;
    if (!isObject(sub)) return true;
    return Object.keys(sub).every((feature) => have[feature] !== undefined);
  });
}
