// Container entry point wrapper: waits for what a service needs, then loads the service's main module in
// this same process (so it is pid 1's own signal handling that drains on SIGTERM).
//   node tools/docker/await.mjs [--postgres] [--redis] [--migrated] -- MODULE.js ARGS...
// --postgres: DATABASE_URL answers `SELECT 1`; --redis: REDIS_URL answers PING; --migrated: every migration
// under prisma/migrations is recorded as finished in `_prisma_migrations` (the one-shot `migrate` service
// applied them). Compose implementations that ignore `depends_on` conditions (podman-compose 1.0) start
// everything at once; this makes the order hold anyway. Gives up after AWAIT_TIMEOUT_SECONDS (default 180).
import { readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';

const separator = process.argv.indexOf('--');
const wants = new Set(process.argv.slice(2, separator === -1 ? undefined : separator));
const command = separator === -1 ? [] : process.argv.slice(separator + 1);
const deadline = Date.now() + Number(process.env.AWAIT_TIMEOUT_SECONDS ?? 180) * 1000;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what, probe) {
  let last = '';
  for (;;) {
    try {
      const answer = await probe();
      if (answer === true) return;
      last = String(answer);
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() > deadline) {
      process.stderr.write(`await: gave up waiting for ${what}: ${last}\n`);
      process.exit(1);
    }
    await sleep(1000);
  }
}

async function query(sql) {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL, connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function redisPing() {
  const url = new URL(process.env.REDIS_URL ?? 'redis://redis:6379');
  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname, port: Number(url.port || 6379) });
    socket.setTimeout(3000, () => socket.destroy(new Error('timed out')));
    socket.once('error', reject);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG') ? true : data.toString().trim());
    });
  });
}

if (wants.has('--postgres')) await until('postgres', async () => (await query('SELECT 1 AS ok'))[0]?.ok === 1);
if (wants.has('--redis')) await until('redis', redisPing);
if (wants.has('--migrated')) {
  const expected = readdirSync(new URL('../../prisma/migrations/', import.meta.url), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name);
  await until('migrations', async () => {
    const rows = await query('SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL');
    const applied = new Set(rows.map((row) => row.migration_name));
    const missing = expected.filter((name) => !applied.has(name));
    return missing.length === 0 ? true : `${missing.length} migration(s) not applied yet`;
  });
}
if (command.length > 0) {
  process.argv = [process.argv[0], resolve(command[0]), ...command.slice(1)];
  await import(pathToFileURL(process.argv[1]).href);
}
