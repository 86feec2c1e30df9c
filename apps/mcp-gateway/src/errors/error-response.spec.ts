import { describe, expect, it } from 'vitest';
import { HotStoreUnavailableError } from '@airlock/redis';
import { SessionStoreClientError } from '@airlock/session-client';
import { BearerAuth } from '../edge/bearer-auth.js';
import { errorAnswer, errorResponse, toGatewayError } from './error-response.js';
import { GatewayError } from './gateway-error.js';

describe('errorResponse', () => {
  it('shows the client the message and data, never the log detail or the cause', () => {
    const error = new GatewayError('invalid_params', { message: 'Invalid cursor', data: { cursor: 'x' }, detail: 'cursor did not decode: secret-internal-name' });
    const answer = errorResponse(error, 7);
    expect(answer).toEqual({ status: 200, headers: {}, body: { jsonrpc: '2.0', id: 7, error: { code: -32602, message: 'Invalid cursor', data: { cursor: 'x' } } } });
    expect(JSON.stringify(answer)).not.toContain('secret-internal-name');
  });

  it('turns an unknown error into a bare 500 -32603 and a down dependency into a 503 with Retry-After', () => {
    const internal = errorResponse(toGatewayError(new Error('ECONNRESET at /srv/app/secret.js:12')));
    expect(internal).toEqual({ status: 500, headers: {}, body: { jsonrpc: '2.0', id: null, error: { code: -32603, message: 'Internal error' } } });
    for (const down of [new SessionStoreClientError('temporarily_unavailable', 503, 'the session store cannot be reached'), new HotStoreUnavailableError('connection lost')]) {
      expect(errorResponse(toGatewayError(down))).toEqual({
        status: 503,
        headers: { 'retry-after': '2' },
        body: { jsonrpc: '2.0', id: null, error: { code: -32603, message: 'Service temporarily unavailable' } },
      });
    }
    // Another status of the same client is not "unavailable".
    expect(errorResponse(toGatewayError(new SessionStoreClientError('conflict', 409, 'conflict'))).status).toBe(500);
  });

  it('renders bearer refusals as RFC 6750 challenges with resource_metadata and scope', () => {
    const missing = new GatewayError('unauthorized', { message: 'an access token is required', challenge: { resourceMetadata: 'https://gw/.well-known/x', scope: ['mcp'], namesError: false } });
    expect(errorResponse(missing)).toEqual({
      status: 401,
      headers: { 'www-authenticate': 'Bearer resource_metadata="https://gw/.well-known/x", scope="mcp"' },
      body: { error: 'invalid_token', error_description: 'an access token is required' },
    });
    const scope = errorResponse(BearerAuth.insufficientScope('https://gw/t/a/mcp', ['tools:slow']));
    expect(scope.status).toBe(403);
    expect(scope.headers['www-authenticate']).toBe(
      'Bearer resource_metadata="https://gw/.well-known/oauth-protected-resource/t/a/mcp", error="insufficient_scope", error_description="the access token lacks the required scope: tools:slow", scope="tools:slow"',
    );
    const unavailable = errorResponse(new GatewayError('auth_unavailable', { message: 'keys cannot be fetched', challenge: { resourceMetadata: 'https://gw/m', namesError: true } }));
    expect(unavailable).toEqual({ status: 503, headers: { 'retry-after': '2' }, body: { error: 'temporarily_unavailable', error_description: 'keys cannot be fetched' } });
  });

  it('carries Retry-After and Allow, and gives the era bridge the same status and error', () => {
    expect(errorResponse(new GatewayError('rate_limited', { retryAfterSeconds: 7 })).headers).toEqual({ 'retry-after': '7' });
    expect(errorResponse(new GatewayError('shutting_down')).headers).toEqual({ 'retry-after': '1' });
    expect(errorResponse(new GatewayError('method_not_allowed', { allow: 'POST' })).headers).toEqual({ allow: 'POST' });
    expect(errorAnswer(new GatewayError('upstream_unavailable'))).toEqual({ status: 502, error: { code: -32603, message: 'The upstream server is unavailable' } });
  });
});
