import { Table, Text } from '@mantine/core';
import type { ToolCallMetrics } from './api.js';

const WIDTH = 720;
const HEIGHT = 160;
const CALLS = '#1c5fa8';
const ERRORS = '#b02a2a';

/** A bucket's start as the chart's axis and table show it: time of day, with the date for daily buckets. */
export function bucketLabel(start: string, step: string): string {
  const date = new Date(start);
  return step === '1d' || step === '1h' ? date.toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }) : date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/**
 * Calls per bucket as bars, errors as the red part of each bar. The picture is one image with a text
 * summary (its accessible name); the same numbers are in the table below it for screen readers and keyboards.
 */
export function ToolCallChart({ metrics, caption }: { metrics: ToolCallMetrics; caption: string }) {
  const peak = metrics.series.reduce((best, bucket) => (bucket.calls > best.calls ? bucket : best), metrics.series[0] ?? { calls: 0, errors: 0, refused: 0, start: metrics.from });
  const max = Math.max(1, peak.calls);
  const barWidth = WIDTH / Math.max(1, metrics.series.length);
  const summary = `${caption}: ${metrics.totals.calls} calls, ${metrics.totals.errors} errors, ${metrics.totals.refused} refused; busiest ${bucketLabel(peak.start, metrics.step)} with ${peak.calls} calls.`;
  const scale = (value: number) => (value / max) * (HEIGHT - 4);
  return (
    <figure style={{ margin: 0 }}>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} width="100%" height={HEIGHT} role="img" aria-label={summary} data-testid="tool-call-chart" preserveAspectRatio="none">
        <line x1={0} y1={HEIGHT - 0.5} x2={WIDTH} y2={HEIGHT - 0.5} stroke="#868e96" strokeWidth={1} />
        {metrics.series.map((bucket, index) =>
          bucket.calls === 0 ? null : (
            <g key={bucket.start}>
              <rect x={index * barWidth} y={HEIGHT - scale(bucket.calls)} width={Math.max(1, barWidth - 1)} height={scale(bucket.calls)} fill={CALLS} />
              {bucket.errors > 0 && <rect x={index * barWidth} y={HEIGHT - scale(bucket.errors)} width={Math.max(1, barWidth - 1)} height={scale(bucket.errors)} fill={ERRORS} />}
            </g>
          ),
        )}
      </svg>
      <Text component="figcaption" size="sm">
        {summary} <span style={{ color: CALLS, fontWeight: 700 }}>■</span> calls <span style={{ color: ERRORS, fontWeight: 700 }}>■</span> errors
      </Text>
    </figure>
  );
}

/** The chart's numbers, bucket by bucket (the busy ones: an hour by the minute is 60 rows, most of them empty). */
export function ToolCallTable({ metrics, label }: { metrics: ToolCallMetrics; label: string }) {
  const busy = metrics.series.filter((bucket) => bucket.calls > 0);
  return (
    <Table striped aria-label={label}>
      <Table.Thead>
        <Table.Tr>
          <Table.Th scope="col">From</Table.Th>
          <Table.Th scope="col">Calls</Table.Th>
          <Table.Th scope="col">Errors</Table.Th>
          <Table.Th scope="col">Refused</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {busy.map((bucket) => (
          <Table.Tr key={bucket.start}>
            <Table.Td>{bucketLabel(bucket.start, metrics.step)}</Table.Td>
            <Table.Td>{bucket.calls}</Table.Td>
            <Table.Td>{bucket.errors}</Table.Td>
            <Table.Td>{bucket.refused}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}
