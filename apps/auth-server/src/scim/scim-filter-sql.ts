import type { AttributePath, CompareOp, FilterValue, ScimFilter } from './scim-filter.js';
import { ScimFailure } from './scim.errors.js';

// Translates a parsed SCIM filter into a parameterised SQL condition. Column expressions come only from
// the resource's fixed attribute table below; every value the client sent is a bind parameter ($n).

export interface ScimColumn {
  /** A SQL expression over the resource's row (fixed text, never client input). */
  sql: string;
  type: 'string' | 'boolean' | 'dateTime';
  /** RFC 7643 caseExact: false compares lower-cased. */
  caseExact: boolean;
}

/** A multi-valued attribute: its sub-attributes, and how a condition over one element becomes a row condition. */
export interface ScimMultiValued {
  subAttributes: Record<string, ScimColumn>;
  /** Wraps the element condition (e.g. in EXISTS over a join table); identity when the row holds the one element. */
  wrap: (condition: string) => string;
}

export interface ScimFilterTable {
  attributes: Record<string, ScimColumn>;
  multiValued: Record<string, ScimMultiValued>;
}

export interface SqlCondition {
  sql: string;
  params: unknown[];
}

const invalid = (detail: string) => new ScimFailure(400, 'invalidFilter', detail);

class Translator {
  readonly params: unknown[];

  constructor(firstParam: number) {
    // Placeholders continue after the caller's own ($1 = tenant id, ...).
    this.params = new Array<unknown>(firstParam - 1).fill(undefined);
  }

  bind(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }

  translate(filter: ScimFilter, table: ScimFilterTable): string {
    switch (filter.kind) {
      case 'and':
        return `(${this.translate(filter.left, table)} AND ${this.translate(filter.right, table)})`;
      case 'or':
        return `(${this.translate(filter.left, table)} OR ${this.translate(filter.right, table)})`;
      case 'not':
        return `(NOT ${this.translate(filter.filter, table)})`;
      case 'valuePath': {
        const multi = table.multiValued[filter.attribute];
        if (!multi) throw invalid(`${filter.attribute} is not a multi-valued attribute`);
        return multi.wrap(this.translate(filter.filter, { attributes: multi.subAttributes, multiValued: {} }));
      }
      case 'present':
      case 'compare': {
        const multi = table.multiValued[filter.path.attribute];
        if (multi) {
          // `emails eq "x"` / `members.value eq "x"`: a condition on the element's sub-attribute (default `value`).
          const inner = { ...filter, path: { attribute: filter.path.sub ?? 'value' } } as ScimFilter;
          return multi.wrap(this.translate(inner, { attributes: multi.subAttributes, multiValued: {} }));
        }
        const column = columnOf(table, filter.path);
        return filter.kind === 'present' ? present(column) : this.compare(column, filter.op, filter.value);
      }
    }
  }

  private compare(column: ScimColumn, op: CompareOp, value: FilterValue): string {
    if (value === null) {
      if (op === 'eq') return `(${column.sql}) IS NULL`;
      if (op === 'ne') return `(${column.sql}) IS NOT NULL`;
      throw invalid(`${op} null is not a comparison`);
    }
    if (column.type === 'boolean') {
      if (typeof value !== 'boolean') throw invalid('a boolean attribute compares with true or false');
      if (op === 'eq') return `(${column.sql}) = ${this.bind(value)}`;
      if (op === 'ne') return `(${column.sql}) IS DISTINCT FROM ${this.bind(value)}`;
      throw invalid(`${op} does not apply to a boolean attribute`);
    }
    if (column.type === 'dateTime') {
      if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) throw invalid('a dateTime attribute compares with an RFC 3339 date-time string');
      const at = `${this.bind(new Date(value).toISOString())}::timestamptz`;
      const sqlOp = { eq: '=', ne: 'IS DISTINCT FROM', gt: '>', ge: '>=', lt: '<', le: '<=' }[op as 'eq'];
      if (!sqlOp) throw invalid(`${op} does not apply to a dateTime attribute`);
      return `(${column.sql}) ${sqlOp} ${at}`;
    }
    if (typeof value !== 'string') throw invalid('a string attribute compares with a string');
    const [expression, bound] = column.caseExact ? [`(${column.sql})`, this.bind(value)] : [`lower(${column.sql})`, `lower(${this.bind(value)})`];
    switch (op) {
      case 'eq':
        return `${expression} = ${bound}`;
      case 'ne':
        return `${expression} IS DISTINCT FROM ${bound}`;
      // Functions, not LIKE: a client's `%` or `_` means itself.
      case 'co':
        return `strpos(${expression}, ${bound}) > 0`;
      case 'sw':
        return `starts_with(${expression}, ${bound})`;
      case 'ew':
        return `right(${expression}, length(${bound})) = ${bound}`;
      case 'gt':
        return `${expression} > ${bound} COLLATE "C"`;
      case 'ge':
        return `${expression} >= ${bound} COLLATE "C"`;
      case 'lt':
        return `${expression} < ${bound} COLLATE "C"`;
      case 'le':
        return `${expression} <= ${bound} COLLATE "C"`;
    }
  }
}

function columnOf(table: ScimFilterTable, path: AttributePath): ScimColumn {
  const name = path.sub === undefined ? path.attribute : `${path.attribute}.${path.sub}`;
  const column = table.attributes[name];
  if (!column) throw invalid(`filtering on ${name} is not supported`);
  return column;
}

function present(column: ScimColumn): string {
  return column.type === 'string' ? `((${column.sql}) IS NOT NULL AND (${column.sql}) <> '')` : `(${column.sql}) IS NOT NULL`;
}

/** The SQL condition for a filter; placeholders start at `$firstParam` (params holds undefined before it). */
export function scimFilterToSql(filter: ScimFilter, table: ScimFilterTable, firstParam: number): SqlCondition {
  const translator = new Translator(firstParam);
  const sql = translator.translate(filter, table);
  return { sql, params: translator.params.slice(firstParam - 1) };
}
