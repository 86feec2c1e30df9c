import { createTestLogger } from '@airlock/testing';
import { describe, expect, it } from 'vitest';
import { StderrBudget, StderrRelay } from './stderr-relay.js';

describe('stderr relay', () => {
  it('logs whole lines tagged with tenant and server, cuts long ones and keeps the last lines', () => {
    const logger = createTestLogger({ level: 'info' });
    const relay = new StderrRelay(logger, { tenant: 'acme', upstream: 'fs' }, new StderrBudget());
    relay.write(Buffer.from('first li'));
    relay.write(Buffer.from(`ne\n${'x'.repeat(5_000)}\nlast`));
    relay.end();
    expect(logger.records.map((record) => [record['tenant'], record['upstream'], String(record.msg).length])).toEqual([
      ['acme', 'fs', 'first line'.length],
      ['acme', 'fs', 2_000],
      ['acme', 'fs', 'last'.length],
    ]);
    expect(relay.lastLines().map((line) => line.length)).toEqual([10, 500, 4]);
  });

  it('drops what exceeds the budget and says how many bytes', () => {
    const logger = createTestLogger({ level: 'info' });
    const relay = new StderrRelay(logger, { tenant: 'acme', upstream: 'fs' }, new StderrBudget(10, 60_000));
    relay.write(Buffer.from('12345\n1234567890\nabc\n'));
    relay.end();
    expect(logger.records.map((record) => record.msg)).toEqual(['12345', '10 bytes of stderr dropped', 'abc']);
  });
});
