export const name = 'db';
