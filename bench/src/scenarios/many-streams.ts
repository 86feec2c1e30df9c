import type { BenchRow } from '../harness/report.js';
import type { ScenarioContext } from './scenario.js';

export async function manyStreams(_context: ScenarioContext): Promise<BenchRow[]> {
  return [];
}
