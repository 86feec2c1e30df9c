import type { BenchRow } from '../harness/report.js';
import type { ToolsCallMeasurement } from './mcp-tools-call.js';

export interface ScenarioContext {
  warmupMs: number;
  roundMs: number;
  rounds: number;
  /** Present once the gateway can be benchmarked: measures a tools/call load through it. */
  gateway?: {
    measureToolsCall?(
      upstreamUrl: string,
      mode: 'json' | 'sse',
      measure: (gatewayUrl: string, headers: Record<string, string>, cpu: () => Promise<number>) => Promise<ToolsCallMeasurement>,
    ): Promise<ToolsCallMeasurement | undefined>;
  };
}

export interface Scenario {
  name: string;
  run(context: ScenarioContext): Promise<BenchRow[]>;
}
