export const name = 'redis';
