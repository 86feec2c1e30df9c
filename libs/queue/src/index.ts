export const name = 'queue';
