#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { exitWithUsage, fixtureCliOptions, runFixtureMain, serveUntilSignal } from '@airlock/mcp-fixture/kit';
import { createFixtureState, createNextFixtureServer } from './fixture-server.js';
import { startNextFixtureHttp } from './http-host.js';

// `node tools/mcp-fixture-next/dist/main.js --stdio` or `--http --port N [--host H] [--name X] [--modern-only]`.

const usage = 'usage: mcp-fixture-next (--stdio | --http --port N [--host 127.0.0.1]) [--name NAME] [--modern-only]';

runFixtureMain('mcp-fixture-next', async () => {
  const { values } = parseArgs({ options: { ...fixtureCliOptions, 'modern-only': { type: 'boolean', default: false } }, strict: true });
  if (values.stdio === values.http) exitWithUsage(usage);
  const fixture = values.name ? { name: values.name } : {};
  if (values.stdio) {
    const state = createFixtureState(fixture);
    serveStdio(() => createNextFixtureServer(state, fixture), { legacy: values['modern-only'] ? 'reject' : 'serve' });
    return;
  }
  serveUntilSignal(
    'mcp-fixture-next',
    await startNextFixtureHttp({ ...fixture, port: Number(values.port), host: values.host, legacy: values['modern-only'] ? 'reject' : 'stateless' }),
  );
});
