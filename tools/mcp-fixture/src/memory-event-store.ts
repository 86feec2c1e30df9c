import type { EventStore } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

/**
 * In-process event store for the fixture's resumable streams (one per session). Event ids are
 * `<streamId>.<sequence>`, so a replay knows its stream and sends only that stream's later events.
 * Retention is bounded per stream; the fixture is a test server, not a production store.
 */
export class MemoryEventStore implements EventStore {
  private readonly streams = new Map<string, Array<{ seq: number; message: JSONRPCMessage }>>();
  private sequence = 0;

  constructor(private readonly maxEventsPerStream = 1000) {}

  async storeEvent(streamId: string, message: JSONRPCMessage): Promise<string> {
    const events = this.streams.get(streamId) ?? [];
    const seq = ++this.sequence;
    events.push({ seq, message });
    if (events.length > this.maxEventsPerStream) events.shift();
    this.streams.set(streamId, events);
    return `${streamId}.${seq}`;
  }

  async getStreamIdForEventId(eventId: string): Promise<string | undefined> {
    const parsed = this.parse(eventId);
    return parsed && this.streams.has(parsed.streamId) ? parsed.streamId : undefined;
  }

  async replayEventsAfter(lastEventId: string, { send }: { send: (eventId: string, message: JSONRPCMessage) => Promise<void> }): Promise<string> {
    const parsed = this.parse(lastEventId);
    if (!parsed) return '';
    for (const event of this.streams.get(parsed.streamId) ?? []) {
      if (event.seq > parsed.seq) await send(`${parsed.streamId}.${event.seq}`, event.message);
    }
    return parsed.streamId;
  }

  private parse(eventId: string): { streamId: string; seq: number } | undefined {
    const dot = eventId.lastIndexOf('.');
    if (dot <= 0) return undefined;
    const seq = Number(eventId.slice(dot + 1));
    return Number.isSafeInteger(seq) ? { streamId: eventId.slice(0, dot), seq } : undefined;
  }
}
