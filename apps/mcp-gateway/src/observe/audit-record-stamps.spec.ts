import { describe, expect, it } from 'vitest';
import { AuditRecordIds, AuditTimestamps } from './audit-record-stamps.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('audit record ids and timestamps', () => {
  it('ids are UUID-shaped and never repeat, within a process and across processes (instances)', () => {
    const a = new AuditRecordIds();
    const b = new AuditRecordIds();
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i++) {
      for (const id of [a.next(), b.next()]) {
        expect(seen.has(id)).toBe(false);
        seen.add(id);
      }
    }
    for (const id of [...seen].slice(0, 50)) expect(id).toMatch(UUID_V4);
    expect(a.next().slice(0, 24)).not.toBe(b.next().slice(0, 24));
  });

  it('timestamps are exactly toISOString, across second, day and year boundaries and back in time', () => {
    const stamps = new AuditTimestamps();
    const times = [0, 999, 1_000, 1_001, Date.UTC(2026, 11, 31, 23, 59, 59, 999), Date.UTC(2027, 0, 1), Date.now(), Date.now() + 1, Date.UTC(2024, 1, 29, 12, 0, 0, 5), 59_999, 60_000];
    for (const ms of times) expect(stamps.iso(ms)).toBe(new Date(ms).toISOString());
    for (let ms = Date.UTC(2026, 11, 6, 4, 0, 0, 0) - 1_500; ms < Date.UTC(2026, 11, 6, 4, 0, 0, 0) + 1_500; ms += 7) expect(stamps.iso(ms)).toBe(new Date(ms).toISOString());
  });
});
