import { Writable } from 'node:stream';
import { createLogger } from '@airlock/observability';
import type { Logger } from '@airlock/observability';

export interface TestLogRecord {
  level: string;
  msg?: string;
  [key: string]: unknown;
}

/** A real (redacting) logger whose lines are kept in `records` instead of printed. */
export type TestLogger = Logger & { readonly records: TestLogRecord[] };

export function createTestLogger(options: { name?: string; level?: string } = {}): TestLogger {
  const records: TestLogRecord[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') records.push(JSON.parse(line) as TestLogRecord);
      done();
    },
  });
  const logger = createLogger({ name: options.name ?? 'test', level: options.level ?? 'debug', destination });
  return Object.assign(logger, { records });
}
