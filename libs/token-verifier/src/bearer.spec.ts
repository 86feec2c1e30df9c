import { describe, expect, it } from 'vitest';
import { assertNoAccessTokenInQuery, bearerFromAuthorizationHeader } from './bearer.js';
import { TokenError } from './token-error.js';
import { buildWwwAuthenticate, challengeForTokenError } from './www-authenticate.js';

describe('bearerFromAuthorizationHeader', () => {
  it('extracts a bearer token, case-insensitive scheme', () => {
    expect(bearerFromAuthorizationHeader('Bearer abc.def-ghi_~+/=')).toBe('abc.def-ghi_~+/=');
    expect(bearerFromAuthorizationHeader('bearer xyz')).toBe('xyz');
    expect(bearerFromAuthorizationHeader(['Bearer one'])).toBe('one');
  });

  it('returns undefined when there is no credential', () => {
    expect(bearerFromAuthorizationHeader(undefined)).toBeUndefined();
    expect(bearerFromAuthorizationHeader('')).toBeUndefined();
    expect(bearerFromAuthorizationHeader([])).toBeUndefined();
  });

  it('refuses other schemes, two tokens and repeated headers as invalid_request', () => {
    for (const header of ['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer a b', 'Bearer "quoted"', ['Bearer a', 'Bearer b']]) {
      const error = (() => {
        try {
          bearerFromAuthorizationHeader(header);
        } catch (caught) {
          return caught;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(TokenError);
      expect((error as TokenError).code).toBe('invalid_request');
      expect((error as TokenError).status).toBe(400);
    }
  });
});

describe('assertNoAccessTokenInQuery', () => {
  it('refuses access_token in the query string and allows everything else', () => {
    expect(() => assertNoAccessTokenInQuery('/t/acme/mcp?access_token=abc')).toThrow(TokenError);
    expect(() => assertNoAccessTokenInQuery('/t/acme/mcp?a=1&access_token=')).toThrow(TokenError);
    expect(() => assertNoAccessTokenInQuery('/t/acme/mcp?token_hint=1')).not.toThrow();
    expect(() => assertNoAccessTokenInQuery('/t/acme/mcp')).not.toThrow();
  });
});

describe('WWW-Authenticate', () => {
  it('builds RFC 6750 / RFC 9728 challenges', () => {
    expect(buildWwwAuthenticate({})).toBe('Bearer');
    expect(
      buildWwwAuthenticate({
        resourceMetadata: 'https://mcp.example.com/.well-known/oauth-protected-resource/t/acme/mcp',
        error: 'invalid_token',
        errorDescription: 'the access token has expired',
        scope: ['mcp', 'files:read'],
      }),
    ).toBe(
      'Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/t/acme/mcp", error="invalid_token", error_description="the access token has expired", scope="mcp files:read"',
    );
  });

  it('cannot be broken out of by quotes, backslashes or newlines in a description', () => {
    expect(buildWwwAuthenticate({ error: 'invalid_token', errorDescription: 'bad "x"\\\r\nSet-Cookie: a=b' })).toBe(
      'Bearer error="invalid_token", error_description="bad xSet-Cookie: a=b"',
    );
  });

  it('maps token errors: no error for a missing token, required scopes for insufficient_scope', () => {
    const metadata = 'https://mcp.example.com/.well-known/oauth-protected-resource/t/acme/mcp';
    expect(challengeForTokenError(undefined, { resourceMetadata: metadata, scope: 'mcp' })).toBe(`Bearer resource_metadata="${metadata}", scope="mcp"`);
    const insufficient = new TokenError('insufficient_scope', 'the access token lacks the required scope: files:write', { requiredScopes: ['files:write'] });
    expect(challengeForTokenError(insufficient, { resourceMetadata: metadata, scope: 'mcp' })).toBe(
      `Bearer resource_metadata="${metadata}", error="insufficient_scope", error_description="the access token lacks the required scope: files:write", scope="files:write"`,
    );
    expect(insufficient.status).toBe(403);
  });
});
