import { Button, Code, Group, Stack, Text, Title } from '@mantine/core';
import { useEffect, useId, useRef } from 'react';
import type { AuditRecord } from './api.js';

/**
 * One audit record in the browser's modal `<dialog>` (as ConfirmDialog: focus trapped, Escape closes, focus
 * returns to the row's button; no injected `<style>`, which the CSP refuses): who acted with which role,
 * break-glass or not, on what, how it ended, and the before/after of the change.
 */
export function AuditDetailDialog({ record, onClose }: { record: AuditRecord | undefined; onClose: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const closeButton = useRef<HTMLButtonElement>(null);
  const titleId = useId();
  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (record && !element.open) {
      element.showModal();
      // showModal focuses the first focusable element (a JSON block); start on Close instead.
      closeButton.current?.focus();
    }
    if (!record && element.open) element.close();
  }, [record]);
  const { actor, before, after, ...rest } = (record?.details ?? {}) as { actor?: { role?: string; breakGlass?: boolean }; before?: unknown; after?: unknown } & Record<string, unknown>;

  return (
    <dialog
      ref={dialog}
      aria-labelledby={titleId}
      onClose={() => record && onClose()}
      style={{ width: 'min(720px, 95vw)', borderRadius: 8, border: '1px solid var(--mantine-color-gray-5)', padding: 'var(--mantine-spacing-lg)' }}
    >
      {record && (
        <Stack gap="sm">
          <Title order={2} size="h4" id={titleId}>
            Audit record <Code fz="inherit">{record.action}</Code>
          </Title>
          <dl className="audit-detail">
            <dt>When</dt>
            <dd>{new Date(record.occurredAt).toLocaleString()} ({record.occurredAt})</dd>
            <dt>Actor</dt>
            <dd>{record.actor.subject ?? '–'}</dd>
            <dt>Client</dt>
            <dd>{record.actor.clientId ?? '–'}</dd>
            <dt>Role</dt>
            <dd>{actor?.role ?? '–'}</dd>
            <dt>Break-glass</dt>
            <dd>{actor?.breakGlass === undefined ? '–' : actor.breakGlass ? 'yes (the bootstrap admin client)' : 'no'}</dd>
            <dt>Target</dt>
            <dd>{record.target ?? '–'}</dd>
            <dt>Outcome</dt>
            <dd>
              <span className={`outcome outcome-${record.outcome}`}>{record.outcome}</span>
            </dd>
            <dt>Request id</dt>
            <dd>{record.requestId ?? '–'}</dd>
          </dl>
          <JsonBlock label="Before" value={before} />
          <JsonBlock label="After" value={after} />
          {Object.keys(rest).length > 0 && <JsonBlock label="Other details" value={rest} />}
          <Group justify="flex-end">
            <Button ref={closeButton} variant="default" onClick={onClose}>
              Close
            </Button>
          </Group>
        </Stack>
      )}
    </dialog>
  );
}

function JsonBlock({ label, value }: { label: string; value: unknown }) {
  const labelId = useId();
  return (
    <Stack gap={2}>
      <Text fw={600} size="sm" id={labelId}>
        {label}
      </Text>
      {value === undefined ? (
        <Text size="sm">–</Text>
      ) : (
        // Focusable so a keyboard user can scroll a long document.
        <Code block aria-labelledby={labelId} tabIndex={0} role="region">
          {JSON.stringify(value, null, 2)}
        </Code>
      )}
    </Stack>
  );
}
