export const name = 'http-server';
