import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';

/** The scope `add_note` requires on top of `mcp`: what the consent screen and per-tool scopes show. */
export const NOTES_WRITE_SCOPE = 'notes:write';

export interface Note {
  text: string;
  createdAt: string;
}

/** Notes kept in memory for as long as the platform runs; shared by every session. */
export class NoteBook {
  private readonly notes: Note[] = [];
  private static readonly MAX_NOTES = 1_000;

  list(): readonly Note[] {
    return this.notes;
  }

  add(text: string): Note {
    const note = { text, createdAt: new Date().toISOString() };
    this.notes.push(note);
    // A demo must not grow without bound when something loops on add_note.
    if (this.notes.length > NoteBook.MAX_NOTES) this.notes.shift();
    return note;
  }
}

/** One MCP server over a shared note book (the HTTP host makes one per request). */
export function createNotesServer(book: NoteBook): McpServer {
  const server = new McpServer({ name: 'airlock-demo-notes', version: '0.1.0' });
  server.registerTool('list_notes', { title: 'List notes', description: 'Every note, oldest first.' }, () => ({
    content: [{ type: 'text', text: book.list().length === 0 ? 'No notes yet.' : book.list().map((note) => `${note.createdAt}  ${note.text}`).join('\n') }],
  }));
  server.registerTool(
    'add_note',
    { title: 'Add a note', description: `Stores a note (needs the ${NOTES_WRITE_SCOPE} scope).`, inputSchema: { text: z.string().min(1).max(2_000) } },
    ({ text }) => {
      const note = book.add(text);
      return { content: [{ type: 'text', text: `Noted at ${note.createdAt}.` }] };
    },
  );
  return server;
}

export const NOTES_CATALOGUE = [
  { name: 'list_notes', title: 'List notes', description: 'Every note, oldest first.', requiredScopes: ['mcp'] },
  { name: 'add_note', title: 'Add a note', description: 'Stores a note.', requiredScopes: ['mcp', NOTES_WRITE_SCOPE] },
];
