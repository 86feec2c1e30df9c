import { describe, expect, it } from 'vitest';
import { formatTable } from './admin-table.js';

describe('formatTable', () => {
  it('aligns columns under upper-case headers; an empty cell is a dash; a line break cannot split a row', () => {
    const rows = [
      { name: 'a', note: 'first\nline' },
      { name: 'longer', note: null },
    ];
    expect(formatTable(rows, [{ header: 'name', value: (row) => row.name }, { header: 'note', value: (row) => row.note }])).toBe('NAME    NOTE\na       first line\nlonger  -\n');
  });
});
