import type { ScimPatchOperation } from '@airlock/contracts';
import { matchesElement, parsePatchPath, type PatchPath, type ScimFilter } from './scim-filter.js';
import { ScimFailure } from './scim.errors.js';

// RFC 7644 §3.5.2 PATCH, applied to a resource's SCIM JSON (as the server renders it); the caller then
// validates the result like a PUT body and stores the difference. Okta and Entra ID spell things
// differently; both are accepted: `Replace` with a capital, `"False"` strings (the schema parses them),
// no-path operations whose value holds several attributes (also dotted ones such as `name.givenName`),
// `members[value eq "id"]` removals, and Entra's removal of `members` with a value listing whom.

export type ScimDocument = Record<string, unknown>;

export interface PatchRules {
  /** Attribute names as the resource spells them (`userName`), so `username` in a path lands on the same key. */
  attributes: readonly string[];
  /** Attributes a client cannot change (`id`, `meta`): naming one in a path is a `mutability` error. */
  readOnly: readonly string[];
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
/** No-path values carry these back from a GET (Okta sends `id` with a group rename): ignored, not refused. */
const IGNORED_IN_VALUE = new Set(['id', 'meta', 'schemas']);

class Patcher {
  private readonly canonical: Map<string, string>;
  private readonly readOnly: Set<string>;

  constructor(rules: PatchRules) {
    this.canonical = new Map(rules.attributes.map((name) => [name.toLowerCase(), name]));
    this.readOnly = new Set(rules.readOnly.map((name) => name.toLowerCase()));
  }

  apply(document: ScimDocument, operation: ScimPatchOperation): void {
    if (operation.path === undefined) return this.applyWithoutPath(document, operation);
    const path = parsePatchPath(operation.path);
    if (this.readOnly.has(path.attribute)) throw new ScimFailure(400, 'mutability', `${operation.path} cannot be changed`);
    this.applyAt(document, path, operation.op, operation.value);
  }

  private applyWithoutPath(document: ScimDocument, { op, value }: ScimPatchOperation): void {
    if (op === 'remove') throw new ScimFailure(400, 'noTarget', 'a remove operation needs a path');
    if (!isObject(value)) throw new ScimFailure(400, 'invalidValue', `an ${op} operation without a path needs an object value`);
    for (const [key, attributeValue] of Object.entries(value)) {
      const path = parsePatchPath(key);
      if (IGNORED_IN_VALUE.has(path.attribute) && path.sub === undefined) continue;
      if (this.readOnly.has(path.attribute)) throw new ScimFailure(400, 'mutability', `${key} cannot be changed`);
      this.applyAt(document, path, op, attributeValue);
    }
  }

  private applyAt(document: ScimDocument, path: PatchPath, op: ScimPatchOperation['op'], value: unknown): void {
    const key = this.keyIn(document, path.attribute);
    if (path.filter) return this.applyFiltered(document, key, path.filter, path.sub, op, value);
    const current = document[key];
    if (path.sub !== undefined) {
      const elements = Array.isArray(current) ? current.filter(isObject) : undefined;
      // `emails.value` on a multi-valued attribute: every element (an empty one gets a first element).
      if (elements) {
        if (op !== 'remove' && elements.length === 0) document[key] = [{ [this.name(path.sub)]: value }];
        for (const element of elements) this.setOrRemove(element, path.sub, op, value);
        return;
      }
      const container = isObject(current) ? current : {};
      this.setOrRemove(container, path.sub, op, value);
      document[key] = container;
      return;
    }
    if (op === 'remove') {
      // Entra ID removes members by `path: "members"` with a value listing them.
      if (Array.isArray(current) && Array.isArray(value)) {
        const gone = new Set(value.filter(isObject).map((element) => String(element['value'] ?? '').toLowerCase()));
        document[key] = current.filter((element) => !(isObject(element) && gone.has(String(element['value'] ?? '').toLowerCase())));
      } else {
        delete document[key];
      }
      return;
    }
    if (op === 'add' && Array.isArray(current)) {
      const additions = Array.isArray(value) ? value : [value];
      const present = new Set(current.filter(isObject).map((element) => String(element['value'] ?? '')));
      for (const addition of additions) {
        // Adding a member twice changes nothing (RFC 7644: no duplicate values).
        if (isObject(addition) && typeof addition['value'] === 'string' && present.has(addition['value'])) continue;
        current.push(addition);
        if (isObject(addition)) present.add(String(addition['value'] ?? ''));
      }
      return;
    }
    if (isObject(current) && isObject(value)) {
      // A complex attribute: the sub-attributes given replace theirs, the others stay.
      for (const [sub, subValue] of Object.entries(value)) current[this.name(sub)] = subValue;
      return;
    }
    document[key] = op === 'add' && !Array.isArray(value) && this.isMultiValued(document, key) ? [value] : value;
  }

  private applyFiltered(document: ScimDocument, key: string, filter: ScimFilter, sub: string | undefined, op: ScimPatchOperation['op'], value: unknown): void {
    const current = document[key];
    const elements = Array.isArray(current) ? current : [];
    const matches = elements.filter((element): element is Json => isObject(element) && matchesElement(filter, element));
    if (op === 'remove') {
      if (sub === undefined) document[key] = elements.filter((element) => !matches.includes(element as Json));
      else for (const element of matches) delete element[this.keyIn(element, sub)];
      return;
    }
    if (matches.length === 0) {
      // `emails[type eq "work"].value` on a user without one: the element the filter describes is made.
      const seed = seedOf(filter);
      if (!seed) throw new ScimFailure(400, 'noTarget', `no ${key} value matches the filter`);
      const element: Json = {};
      for (const [name, seedValue] of Object.entries(seed)) element[this.name(name)] = seedValue;
      matches.push(element);
      document[key] = [...elements, element];
    }
    for (const element of matches) {
      if (sub !== undefined) this.setOrRemove(element, sub, op, value);
      else if (isObject(value)) for (const [name, subValue] of Object.entries(value)) element[this.keyIn(element, name.toLowerCase())] = subValue;
      else throw new ScimFailure(400, 'invalidValue', `the value for ${key}[...] must be an object`);
    }
  }

  private setOrRemove(container: Json, sub: string, op: ScimPatchOperation['op'], value: unknown): void {
    const key = this.keyIn(container, sub);
    if (op === 'remove') delete container[key];
    else container[key] = value;
  }

  /** The key an attribute already has in this object (names are case-insensitive), else its canonical spelling. */
  private keyIn(object: Json, lowerName: string): string {
    for (const key of Object.keys(object)) if (key.toLowerCase() === lowerName) return key;
    return this.name(lowerName);
  }

  private name(lowerName: string): string {
    return this.canonical.get(lowerName.toLowerCase()) ?? lowerName;
  }

  private isMultiValued(document: ScimDocument, key: string): boolean {
    return Array.isArray(document[key]) || key === 'members' || key === 'emails';
  }
}

/** The attribute values an `a eq "x" and b eq "y"` filter pins down; undefined for any other filter. */
function seedOf(filter: ScimFilter): Json | undefined {
  if (filter.kind === 'compare' && filter.op === 'eq' && filter.path.sub === undefined) return { [filter.path.attribute]: filter.value };
  if (filter.kind === 'and') {
    const left = seedOf(filter.left);
    const right = seedOf(filter.right);
    return left && right ? { ...left, ...right } : undefined;
  }
  return undefined;
}

/** Applies PATCH operations in order to a copy of a resource's SCIM JSON; throws ScimFailure on a bad one. */
export function applyScimPatch(document: ScimDocument, operations: readonly ScimPatchOperation[], rules: PatchRules): ScimDocument {
  const result = structuredClone(document);
  const patcher = new Patcher(rules);
  for (const operation of operations) patcher.apply(result, operation);
  return result;
}
