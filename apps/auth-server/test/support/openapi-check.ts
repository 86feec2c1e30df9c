import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';

// Checks of an OpenAPI 3.1 document without an OpenAPI validator package: the structure the spec requires
// of what the admin API uses, every $ref resolving, every path parameter declared, and every schema a
// valid JSON Schema 2020-12 (OpenAPI 3.1's dialect, compiled by Ajv).

type Json = Record<string, unknown>;

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

export interface Operation {
  method: string;
  path: string;
  operation: Json;
}

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

export function operationsOf(document: Json): Operation[] {
  const paths = isObject(document['paths']) ? document['paths'] : {};
  return Object.entries(paths).flatMap(([path, item]) =>
    HTTP_METHODS.filter((method) => isObject(item) && isObject(item[method])).map((method) => ({ method, path, operation: (item as Json)[method] as Json })),
  );
}

/** Resolves a local JSON pointer (`#/components/schemas/Tenant`). */
export function resolvePointer(document: Json, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  let at: unknown = document;
  for (const raw of ref.slice(2).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isObject(at) && !Array.isArray(at)) return undefined;
    at = (at as Json)[key];
  }
  return at;
}

function collectRefs(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((item) => collectRefs(item, found));
  else if (isObject(value)) {
    if (typeof value['$ref'] === 'string') found.push(value['$ref']);
    Object.values(value).forEach((item) => collectRefs(item, found));
  }
  return found;
}

const DOCUMENT_ID = 'https://airlock.invalid/admin/v1/openapi.json';

/** Validators for the document's schemas, its `#/components/...` references resolved within it. */
export class DocumentSchemas {
  private readonly ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });

  constructor(document: Json) {
    this.ajv.addSchema({ $id: DOCUMENT_ID, components: document['components'] });
  }

  /** Compiles a schema of the document (a `$ref` into it or an inline one); throws if it is not valid JSON Schema. */
  compile(schema: Json): ValidateFunction {
    const absolute = JSON.parse(JSON.stringify(schema).replace(/"\$ref":"#\//g, `"$ref":"${DOCUMENT_ID}#/`)) as Json;
    return this.ajv.compile(absolute);
  }
}

/** Every problem found; empty for a valid document. */
export function openApi31Problems(document: Json): string[] {
  const problems: string[] = [];
  if (document['openapi'] !== '3.1.0') problems.push(`openapi is ${String(document['openapi'])}, not 3.1.0`);
  const info = document['info'];
  if (!isObject(info) || typeof info['title'] !== 'string' || typeof info['version'] !== 'string') problems.push('info needs a title and a version');
  if (!isObject(document['paths'])) problems.push('no paths');

  for (const ref of new Set(collectRefs(document))) {
    if (resolvePointer(document, ref) === undefined) problems.push(`$ref ${ref} does not resolve`);
  }

  const schemes = isObject(document['components']) && isObject(document['components']['securitySchemes']) ? document['components']['securitySchemes'] : {};
  const requirementsOf = (security: unknown) => (Array.isArray(security) ? security.flatMap((requirement) => (isObject(requirement) ? Object.keys(requirement) : [])) : []);
  for (const name of requirementsOf(document['security'])) if (!(name in schemes)) problems.push(`security names an undefined scheme ${name}`);

  const operationIds = new Set<string>();
  for (const { method, path, operation } of operationsOf(document)) {
    const where = `${method.toUpperCase()} ${path}`;
    if (!path.startsWith('/')) problems.push(`${where}: a path starts with /`);
    const id = operation['operationId'];
    if (typeof id !== 'string') problems.push(`${where}: no operationId`);
    else if (operationIds.has(id)) problems.push(`${where}: operationId ${id} is not unique`);
    else operationIds.add(id);

    const parameters = Array.isArray(operation['parameters']) ? (operation['parameters'] as Json[]) : [];
    const declared = parameters.filter((parameter) => parameter['in'] === 'path');
    const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]);
    for (const name of templated) {
      const parameter = declared.find((candidate) => candidate['name'] === name);
      if (!parameter) problems.push(`${where}: path parameter ${name} is not declared`);
      else if (parameter['required'] !== true) problems.push(`${where}: path parameter ${name} must be required`);
    }
    for (const parameter of declared) if (!templated.includes(String(parameter['name']))) problems.push(`${where}: path parameter ${String(parameter['name'])} is not in the path`);
    for (const parameter of parameters) {
      if (!['path', 'query', 'header', 'cookie'].includes(String(parameter['in']))) problems.push(`${where}: parameter ${String(parameter['name'])} has no valid "in"`);
      if (!isObject(parameter['schema'])) problems.push(`${where}: parameter ${String(parameter['name'])} has no schema`);
    }

    const responses = operation['responses'];
    if (!isObject(responses) || !Object.keys(responses).some((status) => /^2\d\d$/.test(status))) problems.push(`${where}: no success response`);
    else for (const [status, response] of Object.entries(responses)) if (!isObject(response) || typeof response['description'] !== 'string') problems.push(`${where}: response ${status} needs a description`);
    for (const name of requirementsOf(operation['security'])) if (!(name in schemes)) problems.push(`${where}: security names an undefined scheme ${name}`);
  }

  // Every schema is JSON Schema 2020-12: the components, and each one inline in an operation.
  const schemas = new DocumentSchemas(document);
  const components = isObject(document['components']) && isObject(document['components']['schemas']) ? document['components']['schemas'] : {};
  for (const name of Object.keys(components)) {
    try {
      schemas.compile({ $ref: `#/components/schemas/${name}` });
    } catch (error) {
      problems.push(`schema ${name}: ${(error as Error).message}`);
    }
  }
  for (const { method, path, operation } of operationsOf(document)) {
    for (const schema of collectSchemas(operation)) {
      try {
        schemas.compile(schema);
      } catch (error) {
        problems.push(`${method.toUpperCase()} ${path}: ${(error as Error).message}`);
      }
    }
  }
  return problems;
}

/** The `schema` objects of an operation's parameters, body, responses and their headers. */
function collectSchemas(value: unknown, found: Json[] = []): Json[] {
  if (Array.isArray(value)) value.forEach((item) => collectSchemas(item, found));
  else if (isObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      if (key === 'schema' && isObject(item)) found.push(item);
      else collectSchemas(item, found);
    }
  }
  return found;
}
