import { ScimFailure } from './scim.errors.js';

// RFC 7644 §3.4.2.2 filters: a tokenizer and a recursive-descent parser into a small AST. Precedence:
// `not` binds tighter than `and`, which binds tighter than `or`; parentheses group. Attribute names are
// case-insensitive, so paths are kept lower-cased; a schema URN prefix is dropped (one schema per resource).

export type CompareOp = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';
export type FilterValue = string | number | boolean | null;

/** `name.givenName` → { attribute: 'name', sub: 'givenname' }; lower-cased. */
export interface AttributePath {
  attribute: string;
  sub?: string;
}

export type ScimFilter =
  | { kind: 'compare'; path: AttributePath; op: CompareOp; value: FilterValue }
  | { kind: 'present'; path: AttributePath }
  | { kind: 'and' | 'or'; left: ScimFilter; right: ScimFilter }
  | { kind: 'not'; filter: ScimFilter }
  /** `emails[type eq "work"]`: the inner filter's paths are sub-attributes of `attribute`. */
  | { kind: 'valuePath'; attribute: string; filter: ScimFilter };

/** A PATCH path (RFC 7644 §3.5.2): `attr`, `attr.sub`, `attr[filter]`, `attr[filter].sub`. */
export interface PatchPath {
  attribute: string;
  filter?: ScimFilter;
  sub?: string;
}

const COMPARE_OPS = new Set<string>(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le']);
const MAX_DEPTH = 50;

type Token =
  | { type: 'word'; text: string; at: number }
  | { type: 'string'; value: string; at: number }
  | { type: 'punct'; text: '(' | ')' | '[' | ']'; at: number }
  | { type: 'end'; at: number };

const invalid = (detail: string) => new ScimFailure(400, 'invalidFilter', detail);

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const char = input[i]!;
    if (char === ' ' || char === '\t' || char === '\n' || char === '\r') {
      i += 1;
    } else if (char === '(' || char === ')' || char === '[' || char === ']') {
      tokens.push({ type: 'punct', text: char, at: i });
      i += 1;
    } else if (char === '"') {
      // A JSON string literal (RFC 7644: "compValue = false / null / true / number / string" as in JSON).
      let end = i + 1;
      while (end < input.length && input[end] !== '"') end += input[end] === '\\' ? 2 : 1;
      if (end >= input.length) throw invalid(`unterminated string at ${i}`);
      let value: unknown;
      try {
        value = JSON.parse(input.slice(i, end + 1));
      } catch {
        throw invalid(`bad string literal at ${i}`);
      }
      tokens.push({ type: 'string', value: String(value), at: i });
      i = end + 1;
    } else {
      let end = i;
      while (end < input.length && !' \t\n\r()[]"'.includes(input[end]!)) end += 1;
      tokens.push({ type: 'word', text: input.slice(i, end), at: i });
      i = end;
    }
  }
  tokens.push({ type: 'end', at: input.length });
  return tokens;
}

const ATTRIBUTE = /^[A-Za-z][\w$-]*(\.[A-Za-z][\w$-]*)?$/;

/** Parses an attribute path, dropping a schema URN prefix (`urn:...:User:userName` → `username`). */
export function parseAttributePath(text: string): AttributePath {
  const name = text.toLowerCase().startsWith('urn:') ? text.slice(text.lastIndexOf(':') + 1) : text;
  if (!ATTRIBUTE.test(name)) throw invalid(`not an attribute path: ${JSON.stringify(text.slice(0, 100))}`);
  const [attribute, sub] = name.toLowerCase().split('.') as [string, string | undefined];
  return sub === undefined ? { attribute } : { attribute, sub };
}

class Parser {
  private position = 0;

  constructor(private readonly tokens: Token[]) {}

  parseFilter(depth = 0): ScimFilter {
    if (depth > MAX_DEPTH) throw invalid('filter nested too deeply');
    let left = this.parseAnd(depth);
    while (this.isWord('or')) {
      this.position += 1;
      left = { kind: 'or', left, right: this.parseAnd(depth) };
    }
    return left;
  }

  expectEnd(): void {
    const token = this.peek();
    if (token.type !== 'end') throw invalid(`unexpected input at ${token.at}`);
  }

  peek(): Token {
    return this.tokens[this.position]!;
  }

  next(): Token {
    const token = this.tokens[this.position]!;
    if (token.type !== 'end') this.position += 1;
    return token;
  }

  expectPunct(text: '(' | ')' | '[' | ']'): void {
    const token = this.next();
    if (token.type !== 'punct' || token.text !== text) throw invalid(`expected "${text}" at ${token.at}`);
  }

  isWord(word: string): boolean {
    const token = this.peek();
    return token.type === 'word' && token.text.toLowerCase() === word;
  }

  private parseAnd(depth: number): ScimFilter {
    let left = this.parseUnary(depth);
    while (this.isWord('and')) {
      this.position += 1;
      left = { kind: 'and', left, right: this.parseUnary(depth) };
    }
    return left;
  }

  private parseUnary(depth: number): ScimFilter {
    if (this.isWord('not')) {
      this.position += 1;
      this.expectPunct('(');
      const filter = this.parseFilter(depth + 1);
      this.expectPunct(')');
      return { kind: 'not', filter };
    }
    const token = this.peek();
    if (token.type === 'punct' && token.text === '(') {
      this.position += 1;
      const filter = this.parseFilter(depth + 1);
      this.expectPunct(')');
      return filter;
    }
    return this.parseAttributeExpression(depth);
  }

  private parseAttributeExpression(depth: number): ScimFilter {
    const token = this.next();
    if (token.type !== 'word') throw invalid(`expected an attribute at ${token.at}`);
    const after = this.peek();
    if (after.type === 'punct' && after.text === '[') {
      const path = parseAttributePath(token.text);
      if (path.sub !== undefined) throw invalid(`a value filter follows a plain attribute at ${token.at}`);
      this.position += 1;
      const filter = this.parseFilter(depth + 1);
      this.expectPunct(']');
      return { kind: 'valuePath', attribute: path.attribute, filter };
    }
    const path = parseAttributePath(token.text);
    const opToken = this.next();
    if (opToken.type !== 'word') throw invalid(`expected an operator at ${opToken.at}`);
    const op = opToken.text.toLowerCase();
    if (op === 'pr') return { kind: 'present', path };
    if (!COMPARE_OPS.has(op)) throw invalid(`unknown operator ${JSON.stringify(opToken.text.slice(0, 20))} at ${opToken.at}`);
    return { kind: 'compare', path, op: op as CompareOp, value: this.parseValue() };
  }

  private parseValue(): FilterValue {
    const token = this.next();
    if (token.type === 'string') return token.value;
    if (token.type === 'word') {
      const word = token.text.toLowerCase();
      if (word === 'true') return true;
      if (word === 'false') return false;
      if (word === 'null') return null;
      if (/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(token.text)) return Number(token.text);
    }
    throw invalid(`expected a value at ${token.at}`);
  }
}

/** Parses `?filter=`; throws ScimFailure(400, invalidFilter) with where it went wrong. */
export function parseScimFilter(input: string): ScimFilter {
  const parser = new Parser(tokenize(input));
  const filter = parser.parseFilter();
  parser.expectEnd();
  return filter;
}

/** Parses a PATCH `path`; a bad one is `invalidPath`. */
export function parsePatchPath(input: string): PatchPath {
  try {
    const parser = new Parser(tokenize(input));
    const first = parser.next();
    if (first.type !== 'word') throw invalid('expected an attribute');
    const head = parseAttributePath(first.text);
    const bracket = parser.peek();
    if (bracket.type === 'punct' && bracket.text === '[') {
      if (head.sub !== undefined) throw invalid('a value filter follows a plain attribute');
      parser.next();
      const filter = parser.parseFilter(1);
      parser.expectPunct(']');
      const rest = parser.next();
      if (rest.type === 'end') return { attribute: head.attribute, filter };
      // `members[value eq "x"].display`: the tokenizer keeps `.display` as one word.
      if (rest.type !== 'word' || !/^\.[A-Za-z][\w$-]*$/.test(rest.text)) throw invalid('bad sub-attribute after a value filter');
      parser.expectEnd();
      return { attribute: head.attribute, filter, sub: rest.text.slice(1).toLowerCase() };
    }
    parser.expectEnd();
    return head.sub === undefined ? { attribute: head.attribute } : { attribute: head.attribute, sub: head.sub };
  } catch (error) {
    if (error instanceof ScimFailure) throw new ScimFailure(400, 'invalidPath', error.message);
    throw error;
  }
}

// In-memory evaluation, for PATCH value filters over a multi-valued attribute's elements.

function field(element: Record<string, unknown>, name: string): unknown {
  for (const [key, value] of Object.entries(element)) if (key.toLowerCase() === name) return value;
  return undefined;
}

function compare(actual: unknown, op: CompareOp, expected: FilterValue): boolean {
  if (expected === null) return op === 'eq' ? actual === undefined || actual === null : op === 'ne' ? actual !== undefined && actual !== null : false;
  if (typeof expected === 'boolean') {
    const value = typeof actual === 'string' ? actual.toLowerCase() === 'true' : actual === true;
    return op === 'eq' ? value === expected : op === 'ne' ? value !== expected : false;
  }
  if (actual === undefined || actual === null) return op === 'ne';
  const a = String(actual).toLowerCase();
  const b = String(expected).toLowerCase();
  switch (op) {
    case 'eq':
      return a === b;
    case 'ne':
      return a !== b;
    case 'co':
      return a.includes(b);
    case 'sw':
      return a.startsWith(b);
    case 'ew':
      return a.endsWith(b);
    case 'gt':
      return a > b;
    case 'ge':
      return a >= b;
    case 'lt':
      return a < b;
    case 'le':
      return a <= b;
  }
}

/** Whether one element of a multi-valued attribute (`{ value, type, primary }`) matches a value filter. */
export function matchesElement(filter: ScimFilter, element: Record<string, unknown>): boolean {
  switch (filter.kind) {
    case 'and':
      return matchesElement(filter.left, element) && matchesElement(filter.right, element);
    case 'or':
      return matchesElement(filter.left, element) || matchesElement(filter.right, element);
    case 'not':
      return !matchesElement(filter.filter, element);
    case 'present': {
      const value = field(element, filter.path.attribute);
      return value !== undefined && value !== null && value !== '';
    }
    case 'compare':
      return compare(field(element, filter.path.attribute), filter.op, filter.value);
    case 'valuePath':
      throw new ScimFailure(400, 'invalidFilter', 'value filters do not nest');
  }
}
