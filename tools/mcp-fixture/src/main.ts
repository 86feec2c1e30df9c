#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createFixtureServer } from './fixture-server.js';
import { startFixtureHttp } from './http-host.js';
import { exitWithUsage, fixtureCliOptions, runFixtureMain, serveUntilSignal } from './kit/fixture-cli.js';

// `node tools/mcp-fixture/dist/main.js --stdio` or `--http --port N [--host H] [--page-size K] [--name X] [--normalise-tool-names]`.

const usage = 'usage: mcp-fixture (--stdio | --http --port N [--host 127.0.0.1]) [--page-size K] [--name NAME] [--normalise-tool-names]';

runFixtureMain('mcp-fixture', async () => {
  const { values } = parseArgs({ options: { ...fixtureCliOptions, 'page-size': { type: 'string' }, 'normalise-tool-names': { type: 'boolean', default: false } }, strict: true });
  const pageSize = values['page-size'] === undefined ? undefined : Number(values['page-size']);
  if (values.stdio === values.http || (pageSize !== undefined && !(Number.isInteger(pageSize) && pageSize > 0))) exitWithUsage(usage);
  const fixture = {
    ...(pageSize ? { pageSize } : {}),
    ...(values.name ? { name: values.name } : {}),
    ...(values['normalise-tool-names'] ? { normaliseToolNames: true } : {}),
  };
  if (values.stdio) {
    await createFixtureServer(fixture).connect(new StdioServerTransport());
    return;
  }
  serveUntilSignal('mcp-fixture', await startFixtureHttp({ ...fixture, port: Number(values.port), host: values.host }));
});
