import { Alert, Button, Group, Skeleton, Stack, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import { ApiError } from './api.js';

/** A refusal as the API gave it: its `error_description`, and the request id to quote. */
export function ErrorNotice({ error, title = 'The request failed' }: { error: unknown; title?: string }) {
  const description = error instanceof ApiError ? error.description : error instanceof Error ? error.message : String(error);
  return (
    <Alert color="red" title={title} role="alert">
      <Text size="sm">{description}</Text>
      {error instanceof ApiError && (
        <Text size="xs" c="dimmed" mt={4}>
          {error.code} (HTTP {error.status}){error.requestId ? ` · request id ${error.requestId}` : ''}
        </Text>
      )}
    </Alert>
  );
}

/** Rows of grey while a page loads. */
export function TableSkeleton({ rows = 5, label }: { rows?: number; label: string }) {
  return (
    <Stack gap="xs" role="status" aria-busy="true" aria-label={label}>
      {Array.from({ length: rows }, (_, index) => (
        <Skeleton key={index} height={28} />
      ))}
    </Stack>
  );
}

/** An empty list: what it means, and what to do next. */
export function EmptyState({ title, children }: { title: string; children: ReactNode }) {
  return (
    <Stack gap={4} p="lg" data-testid="empty-state" style={{ border: '1px dashed var(--mantine-color-gray-5)', borderRadius: 8 }}>
      <Text fw={600}>{title}</Text>
      <Text size="sm">{children}</Text>
    </Stack>
  );
}

/** Cursor paging: first page, next page (the API's cursors only go forward). */
export function Pager({ cursor, nextCursor, onCursor }: { cursor: string | undefined; nextCursor: string | null | undefined; onCursor: (cursor: string | undefined) => void }) {
  return (
    <Group justify="flex-end" gap="xs">
      <Button variant="default" size="xs" disabled={!cursor} onClick={() => onCursor(undefined)}>
        First page
      </Button>
      <Button variant="default" size="xs" disabled={!nextCursor} onClick={() => onCursor(nextCursor ?? undefined)}>
        Next page
      </Button>
    </Group>
  );
}
