import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './load-config.js';
import { maskSecrets } from './mask.js';
import { authServerConfigSchema, gatewayConfigSchema, sessionStoreConfigSchema } from './schemas.js';

// OpenTelemetry settings (OTEL_*): off unless an endpoint is set, the same shape for every service.

describe('tracing config', () => {
  it('is off without an endpoint, and with OTEL_TRACES_EXPORTER=none', () => {
    for (const schema of [gatewayConfigSchema, sessionStoreConfigSchema, authServerConfigSchema]) {
      expect(loadConfig(schema, {}).tracing).toEqual({ tracesUrl: undefined, credentialHeaders: [], sampleRatio: 1, scheduleDelayMs: 5_000, maxQueueSize: 2_048, maxExportBatchSize: 512 });
    }
    expect(loadConfig(gatewayConfigSchema, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_TRACES_EXPORTER: 'none' }).tracing.tracesUrl).toBeUndefined();
  });

  it('sends traces to <endpoint>/v1/traces, or to the traces endpoint as given', () => {
    expect(loadConfig(gatewayConfigSchema, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).tracing.tracesUrl).toBe('http://collector:4318/v1/traces');
    const both = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example/otlp/traces' };
    expect(loadConfig(sessionStoreConfigSchema, both).tracing.tracesUrl).toBe('https://traces.example/otlp/traces');
  });

  it('parses export headers (URL-encoded values) and masks them', () => {
    const config = loadConfig(authServerConfigSchema, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_EXPORTER_OTLP_HEADERS: 'api-key=s3cr%3Dt, x-team = blue', OTEL_TRACES_SAMPLER_ARG: '0.25', OTEL_BSP_SCHEDULE_DELAY: '200', OTEL_BSP_MAX_QUEUE_SIZE: '300', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '1000' });
    // The batch is capped at the queue's size (the SDK refuses a larger one).
    expect(config.tracing).toMatchObject({ credentialHeaders: [['api-key', 's3cr=t'], ['x-team', 'blue']], sampleRatio: 0.25, scheduleDelayMs: 200, maxQueueSize: 300, maxExportBatchSize: 300 });
    expect(JSON.stringify(maskSecrets(config))).not.toContain('s3cr');
  });

  it('refuses bad values, naming the key without echoing it', () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }, 'OTEL_EXPORTER_OTLP_ENDPOINT'],
      [{ OTEL_TRACES_EXPORTER: 'jaeger' }, 'OTEL_TRACES_EXPORTER'],
      [{ OTEL_TRACES_SAMPLER_ARG: '1.5' }, 'OTEL_TRACES_SAMPLER_ARG'],
      [{ OTEL_EXPORTER_OTLP_HEADERS: 'no-equals-sign-s3cret' }, 'OTEL_EXPORTER_OTLP_HEADERS'],
      [{ OTEL_EXPORTER_OTLP_HEADERS: 'k=%E0%A4%A' }, 'OTEL_EXPORTER_OTLP_HEADERS'],
    ];
    for (const [env, key] of cases) {
      let caught: unknown;
      try {
        loadConfig(gatewayConfigSchema, env);
      } catch (error) {
        caught = error;
      }
      expect(caught, key).toBeInstanceOf(ConfigError);
      expect((caught as ConfigError).message).toContain(key);
      expect((caught as ConfigError).message).not.toContain('s3cret');
    }
  });
});
