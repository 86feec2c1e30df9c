import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import type { AuditExportRecord } from '../export-record.js';
import { formatRecord, type AuditExportFormat, type AuditSink } from './audit-sink.js';

export interface JsonLinesSinkOptions {
  /** A file path (appended to, created if missing), or `-` for the process's stdout. */
  path: string;
  format: AuditExportFormat;
  /** Where `-` writes (tests pass their own stream). */
  stdout?: NodeJS.WritableStream;
}

/**
 * One JSON object per line. A file batch is one append followed by fsync: acknowledged means on disk. A
 * crash between the write and the cursor's move repeats that batch (at most), which a reader deduplicates
 * on `id` (or `metadata.uid` in OCSF). The file is opened in append mode so a log shipper or logrotate's
 * copytruncate can work beside it; it is reopened after an error.
 */
export class JsonLinesSink implements AuditSink {
  readonly name = 'jsonl';
  private file: FileHandle | undefined;

  constructor(private readonly options: JsonLinesSinkOptions) {}

  async deliver(records: readonly AuditExportRecord[]): Promise<void> {
    const text = records.map((record) => `${JSON.stringify(formatRecord(record, this.options.format))}\n`).join('');
    if (this.options.path === '-') return this.writeStdout(text);
    try {
      this.file ??= await open(this.options.path, 'a', 0o640);
      await this.file.appendFile(text, 'utf8');
      await this.file.sync();
    } catch (error) {
      await this.closeFile();
      throw error;
    }
  }

  private writeStdout(text: string): Promise<void> {
    const out = this.options.stdout ?? process.stdout;
    return new Promise((resolve, reject) => {
      out.write(text, (error) => (error ? reject(error) : resolve()));
    });
  }

  private async closeFile(): Promise<void> {
    const file = this.file;
    this.file = undefined;
    await file?.close().catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.closeFile();
  }
}
