import { describe, expect, it } from 'vitest';
import { supportsUrlElicitation } from './oauth-user-connection.js';
import { AccountNotConnectedError } from './connected-account-tokens.js';
import { jsonRpcErrorOf } from '../errors/error-response.js';

describe('asking a user to connect an account', () => {
  it('uses URL elicitation only for a client that declared elicitation.url', () => {
    expect(supportsUrlElicitation({ elicitation: { url: {} } })).toBe(true);
    expect(supportsUrlElicitation({ elicitation: { form: {} } })).toBe(false);
    expect(supportsUrlElicitation({ elicitation: {} })).toBe(false);
    expect(supportsUrlElicitation({})).toBe(false);
  });

  it('answers -32042 with one URL elicitation, or an error whose message carries the link', () => {
    const missing = new AccountNotConnectedError('https://auth.example/t/acme/connect/notes', 'notes', 'not connected');
    const elicitation = jsonRpcErrorOf(missing.elicitation());
    expect(elicitation).toMatchObject({
      code: -32042,
      data: { elicitations: [{ mode: 'url', url: 'https://auth.example/t/acme/connect/notes', elicitationId: expect.any(String), message: expect.stringContaining('notes') }] },
    });
    const plain = jsonRpcErrorOf(missing);
    expect(plain.code).toBe(-32000);
    expect(plain.message).toContain('https://auth.example/t/acme/connect/notes');
    // The log detail never reaches the client.
    expect(JSON.stringify(plain)).not.toContain('not connected');
  });
});
