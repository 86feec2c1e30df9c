// Raw HTTP helpers for tests that must see exact statuses and headers, below what an SDK client shows.

export const ACCEPT_BOTH = 'application/json, text/event-stream';

export const initializeBody = (id: number | string = 1, protocolVersion = '2025-11-25') =>
  JSON.stringify({
    jsonrpc: '2.0',
    id,
    method: 'initialize',
    params: { protocolVersion, capabilities: {}, clientInfo: { name: 'raw-test', version: '1.0.0' } },
  });

export async function post(url: string, body: string, headers: Record<string, string>): Promise<Response> {
  return fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', accept: ACCEPT_BOTH, ...headers } });
}

/** Initializes and returns the session id. */
export async function openSession(url: string, token: string): Promise<string> {
  const response = await post(url, initializeBody(), { authorization: `Bearer ${token}` });
  if (response.status !== 200) throw new Error(`initialize answered ${response.status}: ${await response.text()}`);
  const sessionId = response.headers.get('mcp-session-id');
  if (!sessionId) throw new Error('no session id');
  await post(url, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }), {
    authorization: `Bearer ${token}`,
    'mcp-session-id': sessionId,
    'mcp-protocol-version': '2025-11-25',
  });
  return sessionId;
}

export interface SseEvent {
  id?: string;
  retry?: number;
  data: string;
}

/** Reads SSE events from a response until `until` says stop (or the stream ends), then cancels it. */
export async function readEvents(response: Response, until: (events: SseEvent[]) => boolean): Promise<SseEvent[]> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const events: SseEvent[] = [];
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event: SseEvent = { data: '' };
        let sawField = false;
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) continue;
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          const fieldValue = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          sawField = true;
          if (field === 'id') event.id = fieldValue;
          else if (field === 'retry') event.retry = Number(fieldValue);
          else if (field === 'data') event.data += fieldValue;
        }
        if (sawField) events.push(event);
        if (until(events)) return events;
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return events;
}

export const jsonRpcResult = (events: SseEvent[], id: number | string) =>
  events.map((event) => (event.data ? (JSON.parse(event.data) as { id?: unknown; result?: unknown; error?: unknown }) : undefined)).find((message) => message?.id === id);

/** The answer to request `id`, whichever response type the gateway chose (a quick lone answer is plain JSON). */
export async function answerOf(response: Response, id: number | string) {
  if (response.headers.get('content-type')?.startsWith('application/json')) return (await response.json()) as { id?: unknown; result?: unknown; error?: unknown };
  return jsonRpcResult(await readEvents(response, (seen) => jsonRpcResult(seen, id) !== undefined), id);
}
