export const name = 'mcp-gateway';
