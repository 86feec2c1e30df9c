import { Alert, Button, Group, Stack, Table, Text } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { adminApi, type UpstreamTestResult } from '../api.js';
import { ErrorNotice } from '../components.js';

const ms = (value: number | undefined) => (value === undefined ? '–' : `${value} ms`);

/** What each failure code means to an operator, beside the gateway's own message. */
const ADVICE: Record<string, string> = {
  egress_refused: "The gateway's upstream address policy refuses this address. Allow it (AIRLOCK_UPSTREAM_ALLOW_HOSTS / _CIDRS) or use another URL.",
  unreachable: 'Nothing answered at the address. Check the URL, the port and that the server is running and reachable from the gateway.',
  timeout: 'The server did not answer in time. Check that it speaks MCP at this address and is not overloaded.',
  http_status: 'The server answered with an HTTP error. 401 or 403: check the credential; 404: check the path.',
  protocol_error: 'The server answered, but not as an MCP server expects.',
  process_exited: 'The stdio process ended before it answered. Its last stderr lines are above.',
  sandbox_unavailable: 'The stdio sandbox (bubblewrap) could not start on the gateway.',
  command_missing: 'The command is not on the gateway host (PATH).',
  path_refused: "A read-only path would expose the gateway's data directory.",
  credentials_unavailable: 'The credential could not be used for a test.',
};

/** "Test connection": a gateway connects to the saved server, initializes, lists the tools and closes; the result stays on screen. */
export function ServerConnectionTest({ tenant, name, mayTest }: { tenant: string; name: string; mayTest: boolean }) {
  const test = useMutation({ mutationFn: () => adminApi.testServer(tenant, name) });
  return (
    <Stack gap="xs" maw={760}>
      <Group gap="sm">
        <Button variant="default" onClick={() => test.mutate()} loading={test.isPending} disabled={!mayTest} title={mayTest ? undefined : 'Auditors cannot run connection tests'}>
          Test connection
        </Button>
        <Text size="sm">A gateway connects as a session would, initializes and lists the tools. Nothing is saved.</Text>
      </Group>
      <div aria-live="polite" data-testid="connection-test">
        {test.isPending && <Text size="sm">Testing {name}…</Text>}
        {!test.isPending && test.isError && <ErrorNotice error={test.error} title="The connection test could not run" />}
        {!test.isPending && test.data && <TestResult result={test.data} />}
      </div>
    </Stack>
  );
}

function TestResult({ result }: { result: UpstreamTestResult }) {
  const title = result.ok
    ? `Connected: ${result.tools?.count ?? 0} tool${result.tools?.count === 1 ? '' : 's'} in ${result.timings.totalMs} ms`
    : `Failed at ${result.stage}: ${result.error?.code ?? 'failed'}`;
  const names = result.tools?.names ?? [];
  return (
    <Alert color={result.ok ? 'green' : 'red'} title={title} role="status" data-testid="connection-test-result">
      <Stack gap={6}>
        {result.error && (
          <>
            <Text size="sm" data-testid="connection-test-reason">
              {result.error.message}
            </Text>
            {ADVICE[result.error.code] && <Text size="sm">{ADVICE[result.error.code]}</Text>}
          </>
        )}
        <Table aria-label="Connection test" variant="vertical" withTableBorder maw={560}>
          <Table.Tbody>
            <Row label="initialize">{ms(result.timings.initializeMs)}</Row>
            <Row label="tools/list">{ms(result.timings.toolsListMs)}</Row>
            <Row label="Total">{ms(result.timings.totalMs)}</Row>
            <Row label="Protocol">{result.protocolVersion ?? '–'}</Row>
            <Row label="Upstream">{result.serverInfo ? `${result.serverInfo.name} ${result.serverInfo.version}` : '–'}</Row>
            {result.tools && <Row label="Tools">{names.length ? `${names.slice(0, 20).join(', ')}${result.tools.count > 20 ? ` and ${result.tools.count - 20} more` : ''}` : 'none'}</Row>}
          </Table.Tbody>
        </Table>
        <Text size="xs">
          Tested {new Date(result.testedAt).toLocaleString()} by gateway replica {result.replica}
          {result.requestId ? ` · request id ${result.requestId}` : ''}
        </Text>
      </Stack>
    </Alert>
  );
}

function Row({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <Table.Tr>
      <Table.Th scope="row" w={140}>
        {label}
      </Table.Th>
      <Table.Td>{children}</Table.Td>
    </Table.Tr>
  );
}
