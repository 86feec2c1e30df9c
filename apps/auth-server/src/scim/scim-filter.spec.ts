import { describe, expect, it } from 'vitest';
import { matchesElement, parsePatchPath, parseScimFilter } from './scim-filter.js';
import { scimFilterToSql, type ScimFilterTable } from './scim-filter-sql.js';
import { ScimFailure } from './scim.errors.js';

const users: ScimFilterTable = {
  attributes: {
    username: { sql: 'u.email', type: 'string', caseExact: false },
    externalid: { sql: 'u.external_id', type: 'string', caseExact: true },
    active: { sql: 'u.disabled_at IS NULL', type: 'boolean', caseExact: true },
    'meta.lastmodified': { sql: 'u.updated_at', type: 'dateTime', caseExact: true },
  },
  multiValued: {
    emails: { subAttributes: { value: { sql: 'u.email', type: 'string', caseExact: false }, type: { sql: "'work'", type: 'string', caseExact: false } }, wrap: (c) => c },
    members: { subAttributes: { value: { sql: 'm.user_id::text', type: 'string', caseExact: true } }, wrap: (c) => `EXISTS (SELECT 1 FROM m WHERE ${c})` },
  },
};

function refusal(run: () => unknown): ScimFailure {
  try {
    run();
  } catch (error) {
    if (error instanceof ScimFailure) return error;
    throw error;
  }
  throw new Error('no refusal');
}

describe('SCIM filter parser', () => {
  it('parses the filters provisioning clients send', () => {
    expect(parseScimFilter('userName eq "alice@example.com"')).toEqual({ kind: 'compare', path: { attribute: 'username' }, op: 'eq', value: 'alice@example.com' });
    expect(parseScimFilter('urn:ietf:params:scim:schemas:core:2.0:User:name.givenName sw "Al"')).toEqual({ kind: 'compare', path: { attribute: 'name', sub: 'givenname' }, op: 'sw', value: 'Al' });
    expect(parseScimFilter('title pr')).toEqual({ kind: 'present', path: { attribute: 'title' } });
    expect(parseScimFilter('emails[type eq "work" and value co "@example.com"]')).toMatchObject({ kind: 'valuePath', attribute: 'emails', filter: { kind: 'and' } });
    expect(parseScimFilter('active EQ True')).toMatchObject({ op: 'eq', value: true });
  });

  it('binds not tighter than and, and tighter than or; parentheses group', () => {
    const filter = parseScimFilter('a eq "1" or b eq "2" and not (c eq "3")');
    expect(filter).toMatchObject({ kind: 'or', left: { path: { attribute: 'a' } }, right: { kind: 'and', right: { kind: 'not' } } });
    expect(parseScimFilter('(a eq "1" or b eq "2") and c pr')).toMatchObject({ kind: 'and', left: { kind: 'or' } });
  });

  it('keeps escapes in strings (JSON string rules) and numbers', () => {
    expect(parseScimFilter('userName eq "a \\"quoted\\" \\u00e9"')).toMatchObject({ value: 'a "quoted" é' });
    expect(parseScimFilter('x gt 10.5')).toMatchObject({ value: 10.5 });
  });

  it('refuses bad filters as invalidFilter with a position', () => {
    for (const bad of ['', 'userName', 'userName eq', 'userName eq "x', 'userName xx "x"', '(userName eq "x"', 'userName eq "x")', 'userName eq "x" and', 'emails[type eq "work"', 'not userName eq "x"', '1abc eq "x"', 'a eq b']) {
      const failure = refusal(() => parseScimFilter(bad));
      expect(failure.status, bad).toBe(400);
      expect(failure.scimType, bad).toBe('invalidFilter');
    }
    expect(refusal(() => parseScimFilter(`${'('.repeat(200)}a pr${')'.repeat(200)}`)).scimType).toBe('invalidFilter');
  });

  it('parses PATCH paths, with value filters and sub-attributes', () => {
    expect(parsePatchPath('active')).toEqual({ attribute: 'active' });
    expect(parsePatchPath('name.familyName')).toEqual({ attribute: 'name', sub: 'familyname' });
    expect(parsePatchPath('members[value eq "2819c223"]')).toMatchObject({ attribute: 'members', filter: { kind: 'compare', value: '2819c223' } });
    expect(parsePatchPath('emails[type eq "work"].value')).toMatchObject({ attribute: 'emails', sub: 'value', filter: { kind: 'compare' } });
    expect(refusal(() => parsePatchPath('members[value eq "x"')).scimType).toBe('invalidPath');
    expect(refusal(() => parsePatchPath('a b')).scimType).toBe('invalidPath');
  });

  it('matches elements in memory, case-insensitively', () => {
    const filter = parseScimFilter('type eq "WORK" and primary eq true');
    expect(matchesElement(filter, { value: 'x', type: 'work', primary: true })).toBe(true);
    expect(matchesElement(filter, { value: 'x', type: 'home', primary: true })).toBe(false);
    expect(matchesElement(parseScimFilter('value sw "ab" or not (display pr)'), { value: 'zz' })).toBe(true);
  });
});

describe('SCIM filter to SQL', () => {
  it('binds every value as a parameter after the caller\'s own', () => {
    const { sql, params } = scimFilterToSql(parseScimFilter('userName eq "A@x.com" and externalId eq "e1"'), users, 2);
    expect(sql).toBe('(lower(u.email) = lower($2) AND (u.external_id) = $3)');
    expect(params).toEqual(['A@x.com', 'e1']);
  });

  it('never puts client text into the SQL', () => {
    const evil = `x'); DROP TABLE users; --`;
    const { sql, params } = scimFilterToSql(parseScimFilter(`userName co ${JSON.stringify(evil)} or userName sw "%_" or userName ew "\\\\"`), users, 1);
    expect(sql).not.toContain('DROP');
    expect(sql).not.toContain('%');
    expect(params).toEqual([evil, '%_', '\\']);
  });

  it('translates booleans, dates, presence, not, and multi-valued attributes', () => {
    expect(scimFilterToSql(parseScimFilter('active eq false'), users, 1)).toEqual({ sql: '(u.disabled_at IS NULL) = $1', params: [false] });
    expect(scimFilterToSql(parseScimFilter('meta.lastModified gt "2026-01-01T00:00:00Z"'), users, 1)).toEqual({ sql: '(u.updated_at) > $1::timestamptz', params: ['2026-01-01T00:00:00.000Z'] });
    expect(scimFilterToSql(parseScimFilter('not (externalId pr)'), users, 1).sql).toBe("(NOT ((u.external_id) IS NOT NULL AND (u.external_id) <> ''))");
    expect(scimFilterToSql(parseScimFilter('emails[type eq "work"]'), users, 1).sql).toBe("lower('work') = lower($1)");
    expect(scimFilterToSql(parseScimFilter('emails.value eq "a@x"'), users, 1).sql).toBe('lower(u.email) = lower($1)');
    expect(scimFilterToSql(parseScimFilter('members eq "u1"'), users, 1).sql).toBe('EXISTS (SELECT 1 FROM m WHERE (m.user_id::text) = $1)');
  });

  it('refuses unknown attributes and operators that do not fit the type', () => {
    for (const bad of ['nickName eq "x"', 'active gt true', 'active eq "yes"', 'meta.lastModified co "2026"', 'meta.lastModified gt "not a date"', 'userName gt 5', 'userName co null', 'emails[nope eq "x"]', 'externalId[value eq "x"]']) {
      expect(refusal(() => scimFilterToSql(parseScimFilter(bad), users, 1)).scimType, bad).toBe('invalidFilter');
    }
  });
});
