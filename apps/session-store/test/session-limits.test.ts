import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Session } from '@airlock/contracts';
import { startHarness, type Harness } from './support/harness.js';

// A session created without limits gets the configured ones (MCP_SESSION_*, LOGIN_SESSION_*); limits its
// creator names still win.

describe('session limits from config', () => {
  let h: Harness;
  let write: string;

  const create = async (body: Record<string, unknown>) => {
    const response = await h.api('POST', '/v1/t/acme/sessions', { token: write, body: { subject: 'alice', clientId: 'claude', ...body } });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    return response.json<Session>();
  };
  const lifetimeOf = (session: Session) => (Date.parse(session.expiresAt) - Date.parse(session.createdAt)) / 1000;

  beforeAll(async () => {
    h = await startHarness({
      env: { MCP_SESSION_IDLE_SECONDS: '120', MCP_SESSION_MAX_SECONDS: '600', LOGIN_SESSION_IDLE_SECONDS: '300', LOGIN_SESSION_MAX_SECONDS: '3600' },
    });
    write = await h.token('acme', 'sessions:write');
  });
  afterAll(async () => {
    await h?.close();
  });

  it('applies MCP_SESSION_IDLE_SECONDS and MCP_SESSION_MAX_SECONDS to an MCP session created without limits', async () => {
    const session = await create({});
    expect(session.idleTimeoutSeconds).toBe(120);
    expect(lifetimeOf(session)).toBe(600);
  });

  it('applies LOGIN_SESSION_* to a login session created without limits', async () => {
    const session = await create({ kind: 'login' });
    expect(session.idleTimeoutSeconds).toBe(300);
    expect(lifetimeOf(session)).toBe(3_600);
  });

  it('keeps the limits a creator names', async () => {
    const session = await create({ idleTimeoutSeconds: 60, lifetimeSeconds: 90 });
    expect(session.idleTimeoutSeconds).toBe(60);
    expect(lifetimeOf(session)).toBe(90);
  });
});
