export { createToolboxServer, TOOLBOX_CATALOGUE } from './toolbox.js';
export { createNotesServer, NoteBook, NOTES_CATALOGUE, NOTES_WRITE_SCOPE } from './notes.js';
export type { Note } from './notes.js';
export { startNotesServer } from './notes-http.js';
export type { RunningNotesServer } from './notes-http.js';
