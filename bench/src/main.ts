import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { environment, toMarkdown, type BenchResult, type BenchRow } from './harness/report.js';
import { mcpToolsCall } from './scenarios/mcp-tools-call.js';
import { jwtVerification } from './scenarios/jwt-verify.js';
import { sessionResolution } from './scenarios/session-resolution.js';
import { tokenEndpoint } from './scenarios/token-endpoint.js';
import type { Scenario, ScenarioContext } from './scenarios/scenario.js';

// `npm run bench [-- --quick] [-- --only <name>]`: runs every scenario against its baseline in this same
// run and writes bench/results/latest.{json,md} (quick runs: quick.{json,md}, not committed). Speeds are
// never asserted; ratios against the same run's baselines are what we track.

// The bench reads its few settings here, as a tool; the services read theirs through @airlock/config.
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const scenarios: Scenario[] = [
  { name: 'mcp-tools-call', run: mcpToolsCall },
  { name: 'token-endpoint', run: tokenEndpoint },
  { name: 'jwt-verify', run: jwtVerification },
  { name: 'session-resolution', run: (context) => sessionResolution(context, redisUrl) },
];

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
const context: ScenarioContext = quick ? { warmupMs: 500, roundMs: 1_500, rounds: 1 } : { warmupMs: 3_000, roundMs: 8_000, rounds: 3 };

const startedAt = new Date().toISOString();
const rows: BenchRow[] = [];
for (const scenario of scenarios) {
  if (only && scenario.name !== only) continue;
  process.stderr.write(`bench: ${scenario.name}\n`);
  rows.push(...(await scenario.run(context)));
}
const result: BenchResult = { startedAt, finishedAt: new Date().toISOString(), ...environment(), mode: quick ? 'quick' : 'full', rows };

const outDir = fileURLToPath(new URL('../results', import.meta.url));
mkdirSync(outDir, { recursive: true });
const stem = quick ? 'quick' : 'latest';
writeFileSync(join(outDir, `${stem}.json`), `${JSON.stringify(result, null, 2)}\n`);
writeFileSync(join(outDir, `${stem}.md`), toMarkdown(result));
process.stdout.write(toMarkdown(result));
