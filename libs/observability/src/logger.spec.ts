import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';
import { REDACTED } from './redact.js';

function capture(level = 'info') {
  const stream = new PassThrough();
  const lines: Array<Record<string, unknown>> = [];
  let buffer = '';
  stream.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      lines.push(JSON.parse(buffer.slice(0, newline)) as Record<string, unknown>);
      buffer = buffer.slice(newline + 1);
    }
  });
  const logger = createLogger({ name: 'test', level, destination: stream });
  const flush = () => new Promise((resolve) => setImmediate(resolve));
  return { logger, lines, flush };
}

describe('createLogger', () => {
  it('writes JSON lines with the service name and a text level', async () => {
    const { logger, lines, flush } = capture();
    logger.info({ tenant: 'demo' }, 'hello');
    await flush();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ name: 'test', level: 'info', msg: 'hello', tenant: 'demo' });
    expect(typeof lines[0]?.time).toBe('string');
  });

  it('redacts credential headers and secret fields at any depth, leaving the rest', async () => {
    const { logger, lines, flush } = capture();
    const original = {
      headers: { authorization: 'Bearer abc', cookie: 'sid=1', 'set-cookie': ['sid=2'], 'user-agent': 'curl' },
      body: {
        client_id: 'app',
        client_secret: 'shh-1',
        code_verifier: 'shh-2',
        refresh_token: 'shh-3',
        nested: { deeper: [{ access_token: 'shh-4', password: 'shh-5', token_type: 'Bearer' }], apiSecret: 'shh-6' },
      },
      token: 'shh-7',
    };
    logger.info(original, 'request');
    await flush();
    const line = JSON.stringify(lines[0]);
    for (const secret of ['abc', 'sid=1', 'sid=2', 'shh-1', 'shh-2', 'shh-3', 'shh-4', 'shh-5', 'shh-6', 'shh-7']) expect(line).not.toContain(secret);
    expect(lines[0]).toMatchObject({
      headers: { authorization: REDACTED, cookie: REDACTED, 'set-cookie': REDACTED, 'user-agent': 'curl' },
      body: { client_id: 'app', client_secret: REDACTED, nested: { deeper: [{ access_token: REDACTED, password: REDACTED, token_type: 'Bearer' }] } },
    });
    // The caller's object is not mutated.
    expect(original.headers.authorization).toBe('Bearer abc');
  });

  it('redacts child bindings and fields carried by serialized errors', async () => {
    const { logger, lines, flush } = capture();
    const error = Object.assign(new Error('boom'), { params: { client_secret: 'shh-err' } });
    logger.child({ session: { refreshToken: 'shh-child' } }).child({ tenant: 'demo', cookie: 'shh-grandchild' }).error({ err: error }, 'failed');
    await flush();
    const line = JSON.stringify(lines[0]);
    expect(line).not.toContain('shh-grandchild');
    expect(lines[0]).toMatchObject({ tenant: 'demo', session: { refreshToken: REDACTED } });
    expect(line).not.toContain('shh-err');
    expect(line).not.toContain('shh-child');
    expect(lines[0]).toMatchObject({ err: { message: 'boom', type: 'Error' } });
  });

  it('survives cycles', async () => {
    const { logger, lines, flush } = capture();
    const a: Record<string, unknown> = { password: 'x' };
    a.self = a;
    logger.info({ a }, 'cyclic');
    await flush();
    expect(lines[0]?.msg).toBe('cyclic');
    expect(JSON.stringify(lines[0])).not.toContain('"x"');
  });

  it('honours the level', async () => {
    const { logger, lines, flush } = capture('warn');
    logger.info('quiet');
    logger.warn('loud');
    await flush();
    expect(lines.map((l) => l.msg)).toEqual(['loud']);
  });
});

describe('URL credentials', () => {
  it('masks passwords inside connection strings in messages, fields and error stacks', async () => {
    const { logger, lines, flush } = capture();
    const error = new Error('connect ECONNREFUSED postgresql://app:hunter2@db:5432/airlock');
    logger.error({ err: error, target: 'redis://:s3cret@cache:6379/0', plain: 'https://example.com/a?b=c' }, 'failed: postgres://u:pw1@h/d');
    await flush();
    const line = JSON.stringify(lines[0]);
    for (const secret of ['hunter2', 's3cret', 'pw1']) expect(line).not.toContain(secret);
    expect(lines[0]).toMatchObject({ target: `redis://:${REDACTED}@cache:6379/0`, plain: 'https://example.com/a?b=c', msg: `failed: postgres://u:${REDACTED}@h/d` });
  });
});
