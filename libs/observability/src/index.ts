export const name = 'observability';
