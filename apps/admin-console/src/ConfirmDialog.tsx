import { Button, Group, Stack, Text, Title } from '@mantine/core';
import { useEffect, useId, useRef, type ReactNode } from 'react';

/**
 * Asks before a destructive action, in the browser's own modal `<dialog>` (showModal): it traps focus,
 * makes the page behind it inert, closes on Escape and gives focus back to the button that opened it,
 * with no script-injected `<style>` element (Mantine's Modal locks scrolling with one, which the CSP's
 * `style-src 'self'` refuses). Focus starts on Cancel, the safe choice.
 */
export function ConfirmDialog({
  open,
  title,
  children,
  error,
  confirmLabel,
  busy = false,
  onConfirm,
  onCancel,
}: {
  open: boolean;
  title: string;
  children: ReactNode;
  /** What went wrong on the last try (an ErrorNotice), shown inside the dialog. */
  error?: ReactNode;
  confirmLabel: string;
  busy?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const bodyId = useId();
  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (open && !element.open) element.showModal();
    if (!open && element.open) element.close();
  }, [open]);

  return (
    <dialog ref={dialog} aria-labelledby={titleId} aria-describedby={bodyId} onClose={() => open && onCancel()} style={{ maxWidth: 480, borderRadius: 8, border: '1px solid var(--mantine-color-gray-5)', padding: 'var(--mantine-spacing-lg)' }}>
      {open && (
        <Stack gap="md">
          <Title order={2} size="h4" id={titleId}>
            {title}
          </Title>
          <Text size="sm" id={bodyId}>
            {children}
          </Text>
          {error}
          <Group justify="flex-end" gap="sm">
            <Button variant="default" onClick={onCancel} autoFocus>
              Cancel
            </Button>
            <Button color="red" onClick={onConfirm} loading={busy}>
              {confirmLabel}
            </Button>
          </Group>
        </Stack>
      )}
    </dialog>
  );
}
