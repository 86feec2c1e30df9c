import type { BenchRow } from '../harness/report.js';
import type { Platform } from '../harness/platform.js';
import type { ToolsCallMeasurement } from './mcp-tools-call.js';

export type UpstreamMode = 'json' | 'sse';

/** CPU microseconds used so far by each process a measurement watches, by name. */
export type CpuReader = () => Promise<Record<string, number>>;

export interface ScenarioContext {
  warmupMs: number;
  roundMs: number;
  rounds: number;
  quick: boolean;
  /** The whole platform (three services as processes, a benchmark tenant), when it could be started. */
  platform?: BenchPlatform;
  /** Present once the gateway can be benchmarked: measures a tools/call load through it. */
  gateway?: {
    /** The port the bare SDK server of `mode` must listen on: the gateway knows it as an upstream there. */
    upstreamPort(mode: UpstreamMode): number;
    measureToolsCall?(
      upstreamUrl: string,
      mode: UpstreamMode,
      measure: (gatewayUrl: string, headers: Record<string, string>, cpu: CpuReader) => Promise<ToolsCallMeasurement>,
    ): Promise<ToolsCallMeasurement | undefined>;
  };
}

export interface BenchPlatform extends Platform {
  /** Upstream name in the bench tenant for the bare SDK server of each mode, and its port. */
  upstreams: Record<UpstreamMode, { name: string; port: number }>;
}

export interface Scenario {
  name: string;
  run(context: ScenarioContext): Promise<BenchRow[]>;
}
