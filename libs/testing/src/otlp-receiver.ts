import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One span as OTLP/HTTP JSON carries it (ids in hex), with the `service.name` of its resource. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  attributes?: Array<{ key: string; value: Record<string, unknown> }>;
  status?: { code?: number };
  service: string;
}

export const SPAN_KIND = { INTERNAL: 1, SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 } as const;

export interface OtlpReceiver {
  /** The base URL (OTEL_EXPORTER_OTLP_ENDPOINT); exports arrive at `/v1/traces`. */
  url: string;
  spans: ReceivedSpan[];
  requests: Array<{ path: string; contentType: string | undefined; authorization: string | undefined }>;
  close(): Promise<void>;
}

/** A span attribute's value (string, int, bool or double), or undefined. */
export function spanAttribute(span: ReceivedSpan, key: string): unknown {
  const value = span.attributes?.find((candidate) => candidate.key === key)?.value;
  if (!value) return undefined;
  return value['stringValue'] ?? value['intValue'] ?? value['boolValue'] ?? value['doubleValue'];
}

/**
 * An OTLP/HTTP trace receiver in the test process (JSON encoding, what `@opentelemetry/exporter-trace-otlp-http`
 * sends): a stand-in for a collector that keeps every span it is sent.
 */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const requests: OtlpReceiver['requests'] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    requests.push({ path: req.url ?? '', contentType: req.headers['content-type'], authorization: req.headers['authorization'] });
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
      resourceSpans: Array<{ resource: { attributes: ReceivedSpan['attributes'] }; scopeSpans: Array<{ spans: Array<Omit<ReceivedSpan, 'service'>> }> }>;
    };
    for (const resourceSpans of body.resourceSpans) {
      const service = String(resourceSpans.resource.attributes?.find((attribute) => attribute.key === 'service.name')?.value['stringValue']);
      for (const scope of resourceSpans.scopeSpans) for (const span of scope.spans) spans.push({ ...span, service });
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
