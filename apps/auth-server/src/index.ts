export const name = 'auth-server';
