export const name = 'session-store';
