import { Anchor, Code, Group, NativeSelect, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { adminApi } from '../api.js';
import { EmptyState, ErrorNotice, TableSkeleton } from '../components.js';
import { navigate, useLocation, withSearch } from '../router.js';
import { ToolCallChart, ToolCallTable } from '../ToolCallChart.js';
import { linkTo } from './TenantsScreen.js';

const RECENT = 10;
const TENANTS_PAGE = 100;

/** The overview's time ranges (`?range=` keeps the choice in the URL) and the bucket width each is drawn with. */
const RANGES = {
  '1h': { label: 'Last hour', ms: 3_600_000, step: '1m', per: 'per minute' },
  '24h': { label: 'Last 24 hours', ms: 86_400_000, step: '15m', per: 'per 15 minutes' },
  '7d': { label: 'Last 7 days', ms: 7 * 86_400_000, step: '1h', per: 'per hour' },
} as const;
type RangeKey = keyof typeof RANGES;
const isRange = (value: string | null): value is RangeKey => value !== null && Object.hasOwn(RANGES, value);

/**
 * A platform admin's start page, from what the admin API offers: tool calls over time with their errors
 * (the audit log's tool-call records), the tenants (first page, with their counts) and the latest platform
 * admin actions.
 */
export function OverviewScreen() {
  const { path, search } = useLocation();
  const rangeKey: RangeKey = isRange(search.get('range')) ? (search.get('range') as RangeKey) : '1h';
  const range = RANGES[rangeKey];
  const metrics = useQuery({
    queryKey: ['metrics', 'tool-calls', rangeKey],
    // The range ends now, on a whole minute, so a refetch within the minute hits the same buckets.
    queryFn: () => {
      const to = Math.ceil(Date.now() / 60_000) * 60_000;
      return adminApi.toolCallMetrics({ from: new Date(to - range.ms).toISOString(), to: new Date(to).toISOString(), step: range.step });
    },
    refetchInterval: 60_000,
  });
  const tenants = useQuery({ queryKey: ['tenants', '', undefined, TENANTS_PAGE], queryFn: () => adminApi.listTenants({ limit: TENANTS_PAGE }) });
  const recent = useQuery({ queryKey: ['audit', '(platform)', 'recent'], queryFn: () => adminApi.listAudit(undefined, { limit: RECENT }) });
  const items = tenants.data?.items ?? [];
  const sum = (pick: (counts: NonNullable<(typeof items)[number]['counts']>) => number | undefined) => items.reduce((total, tenant) => total + (tenant.counts ? (pick(tenant.counts) ?? 0) : 0), 0);
  const more = Boolean(tenants.data?.nextCursor);

  return (
    <Stack gap="lg">
      <Title order={1}>Overview</Title>
      <section aria-labelledby="overview-tool-calls">
        <Group justify="space-between" align="flex-end" mb="xs">
          <Title order={2} size="h3" id="overview-tool-calls">
            Tool calls {range.per}
          </Title>
          <NativeSelect
            label="Range"
            data={Object.entries(RANGES).map(([value, option]) => ({ value, label: option.label }))}
            value={rangeKey}
            onChange={(event) => navigate(withSearch(path, search, { range: event.currentTarget.value === '1h' ? undefined : event.currentTarget.value }))}
            w={200}
          />
        </Group>
        {metrics.isPending ? (
          <TableSkeleton rows={3} label="Loading tool-call metrics" />
        ) : metrics.isError ? (
          <ErrorNotice error={metrics.error} title="Could not read tool-call metrics" />
        ) : metrics.data.totals.calls === 0 ? (
          <EmptyState title="No tool call in this range">Calls through the MCP gateway appear here a few seconds after they finish.</EmptyState>
        ) : (
          <Stack gap="sm">
            <Group gap="xl" data-testid="tool-call-totals">
              <Stat label="Calls" value={String(metrics.data.totals.calls)} />
              <Stat label="Errors" value={`${metrics.data.totals.errors} (${percent(metrics.data.totals.errors, metrics.data.totals.calls)})`} />
              <Stat label="Refused" value={String(metrics.data.totals.refused)} />
            </Group>
            <ToolCallChart metrics={metrics.data} caption={`${range.label}, ${range.per}`} />
            <details>
              <summary>The chart as a table</summary>
              <ToolCallTable metrics={metrics.data} label="Tool calls per bucket" />
            </details>
            <Table striped aria-label="Busiest tenants">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">Tenant</Table.Th>
                  <Table.Th scope="col">Calls</Table.Th>
                  <Table.Th scope="col">Errors</Table.Th>
                  <Table.Th scope="col">Refused</Table.Th>
                  <Table.Th scope="col">Error rate</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {metrics.data.tenants.map((row) => (
                  <Table.Tr key={row.tenant}>
                    <Table.Td>
                      <Anchor href={`/console/tenants/${row.tenant}/audit?action=mcp.tools.call`} onClick={linkTo(`/tenants/${row.tenant}/audit?action=mcp.tools.call`)}>
                        {row.tenant}
                      </Anchor>
                    </Table.Td>
                    <Table.Td>{row.calls}</Table.Td>
                    <Table.Td>{row.errors}</Table.Td>
                    <Table.Td>{row.refused}</Table.Td>
                    <Table.Td>{percent(row.errors, row.calls)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Stack>
        )}
      </section>
      <section aria-labelledby="overview-tenants">
        <Title order={2} size="h3" id="overview-tenants" mb="xs">
          Tenants
        </Title>
        {tenants.isPending ? (
          <TableSkeleton rows={1} label="Loading tenants" />
        ) : tenants.isError ? (
          <ErrorNotice error={tenants.error} title="Could not list tenants" />
        ) : (
          <Group gap="xl" data-testid="overview-counts">
            <Stat label="Tenants" value={`${items.length}${more ? '+' : ''}`} />
            <Stat label="Users" value={`${sum((counts) => counts.users)}${more ? '+' : ''}`} />
            <Stat label="Clients" value={`${sum((counts) => counts.clients)}${more ? '+' : ''}`} />
            <Stat label="MCP servers" value={`${sum((counts) => counts.servers)}${more ? '+' : ''}`} />
          </Group>
        )}
        <Text size="sm" mt="xs">
          <Anchor href="/console/tenants" onClick={linkTo('/tenants')}>
            All tenants
          </Anchor>{' '}
          ·{' '}
          <Anchor href="/console/audit" onClick={linkTo('/audit')}>
            Platform audit log
          </Anchor>
        </Text>
      </section>
      <section aria-labelledby="overview-recent">
        <Title order={2} size="h3" id="overview-recent" mb="xs">
          Recent admin actions
        </Title>
        {recent.isPending ? (
          <TableSkeleton label="Loading recent admin actions" />
        ) : recent.isError ? (
          <ErrorNotice error={recent.error} title="Could not read the platform audit log" />
        ) : recent.data.items.length === 0 ? (
          <EmptyState title="No admin action yet">Tenant creation, admin people and role changes appear here.</EmptyState>
        ) : (
          <Table striped aria-label="Recent admin actions">
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">When</Table.Th>
                <Table.Th scope="col">Action</Table.Th>
                <Table.Th scope="col">Outcome</Table.Th>
                <Table.Th scope="col">Actor</Table.Th>
                <Table.Th scope="col">Target</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {recent.data.items.map((record) => (
                <Table.Tr key={record.id}>
                  <Table.Td>{new Date(record.occurredAt).toLocaleString()}</Table.Td>
                  <Table.Td>
                    <Code>{record.action}</Code>
                  </Table.Td>
                  <Table.Td>
                    <span className={`outcome outcome-${record.outcome}`}>{record.outcome}</span>
                  </Table.Td>
                  <Table.Td>{record.actor.subject ?? record.actor.clientId ?? '–'}</Table.Td>
                  <Table.Td>{record.target ?? '–'}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </section>
    </Stack>
  );
}

const percent = (part: number, whole: number) => (whole === 0 ? '–' : `${((100 * part) / whole).toFixed(1)}%`);

function Stat({ label, value }: { label: string; value: string }) {
  return (
    <Stack gap={0}>
      <Text size="xl" fw={700}>
        {value}
      </Text>
      <Text size="sm">{label}</Text>
    </Stack>
  );
}
