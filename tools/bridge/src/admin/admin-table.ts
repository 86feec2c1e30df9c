// Human output: aligned columns under an upper-case header, two spaces apart (no dependency).

export interface Column<T> {
  header: string;
  value: (row: T) => string | number | boolean | null | undefined;
}

export function formatTable<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = rows.map((row) => columns.map((column) => oneLine(column.value(row))));
  const headers = columns.map((column) => column.header.toUpperCase());
  const widths = headers.map((header, index) => Math.max(header.length, ...cells.map((line) => line[index]!.length)));
  const render = (line: string[]) =>
    line
      .map((cell, index) => (index === line.length - 1 ? cell : cell.padEnd(widths[index]!)))
      .join('  ')
      .trimEnd();
  return [render(headers), ...cells.map(render)].join('\n') + '\n';
}

/** Key/value lines for one record (a create's result). */
export function formatRecord(entries: ReadonlyArray<[string, string | number | boolean | null | undefined]>): string {
  const width = Math.max(...entries.map(([key]) => key.length));
  return entries.map(([key, value]) => `${`${key}:`.padEnd(width + 1)}  ${oneLine(value)}`.trimEnd()).join('\n') + '\n';
}

function oneLine(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined || value === '') return '-';
  // A value is one cell: control characters (a line break in a display name) would break the columns.
  return Array.from(String(value), (char) => (char < ' ' || char === '\u007f' ? ' ' : char)).join('');
}
