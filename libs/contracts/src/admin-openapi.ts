import { z } from 'zod';
import {
  adminErrorCodeSchema,
  adminErrorSchema,
  adminErrorStatus,
  adminServerErrorSchema,
  clientSchema,
  createdClientSchema,
  signingKeySchema,
  tenantSchema,
  toolSchema,
  upstreamServerSchema,
  upstreamServerWithToolsSchema,
  userSchema,
  type AdminErrorCode,
} from './admin-responses.js';
import { ADMIN_API_PREFIX, adminRouteRoles, adminRoutes, type AdminRouteDefinition } from './admin-routes.js';
import { Scopes } from './scopes.js';

// The admin API's OpenAPI 3.1 document, generated from the route table and the same zod schemas that
// validate requests (z.toJSONSchema speaks JSON Schema 2020-12, OpenAPI 3.1's dialect). Request bodies
// and parameters are described as the client sends them (`io: 'input'`: defaulted fields optional),
// responses as the server sends them.

type JsonSchema = Record<string, unknown>;

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  servers: Array<{ url: string }>;
  security: Array<Record<string, string[]>>;
  tags: Array<{ name: string }>;
  paths: Record<string, Record<string, JsonSchema>>;
  components: { schemas: Record<string, JsonSchema>; securitySchemes: Record<string, JsonSchema> };
}

export interface AdminOpenApiOptions {
  /** The auth server's public URL (the document's server). */
  serverUrl: string;
  /** Where an admin client gets a token: the `admin` tenant's token endpoint. */
  tokenUrl: string;
  /** The route table; the real one unless a test passes another. */
  routes?: Readonly<Record<string, AdminRouteDefinition>>;
}

/** Shared shapes get a stable component name; every other schema is named after its route. */
const NAMED_SCHEMAS: ReadonlyArray<[z.ZodType, string]> = [
  [tenantSchema, 'Tenant'],
  [userSchema, 'User'],
  [clientSchema, 'Client'],
  [createdClientSchema, 'CreatedClient'],
  [signingKeySchema, 'SigningKey'],
  [toolSchema, 'Tool'],
  [upstreamServerSchema, 'UpstreamServer'],
  [upstreamServerWithToolsSchema, 'UpstreamServerWithTools'],
  [adminErrorSchema, 'AdminError'],
  [adminServerErrorSchema, 'ServerError'],
];

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const pascal = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);
const JSON_MEDIA = 'application/json';

/** One registry per direction, so a shared shape is one component that the others `$ref`. */
class ComponentSet {
  private readonly registry = z.registry<{ id: string }>();
  private readonly names = new Map<z.ZodType, string>();

  constructor(private readonly io: 'input' | 'output') {}

  name(schema: z.ZodType, fallback: string): string {
    const existing = this.names.get(schema);
    if (existing) return existing;
    this.names.set(schema, fallback);
    this.registry.add(schema, { id: fallback });
    return fallback;
  }

  schemas(): Record<string, JsonSchema> {
    const { schemas } = z.toJSONSchema(this.registry, { io: this.io, uri: (id) => ref(id).$ref, unrepresentable: 'any' }) as { schemas: Record<string, JsonSchema> };
    // Components are parts of the document, not standalone schemas: no $schema, and no fragment $id.
    return Object.fromEntries(Object.entries(schemas).map(([name, { $schema: _schema, $id: _id, ...schema }]) => [name, schema]));
  }
}

function parametersOf(route: AdminRouteDefinition): JsonSchema[] {
  const parameters: JsonSchema[] = [];
  for (const [location, object] of [['path', route.params], ['query', route.query]] as const) {
    if (!object) continue;
    const schema = z.toJSONSchema(object, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, JsonSchema>; required?: string[] };
    for (const [name, property] of Object.entries(schema.properties ?? {})) {
      parameters.push({ name, in: location, required: location === 'path' || (schema.required ?? []).includes(name), schema: property });
    }
  }
  return parameters;
}

const ERROR_TITLES: Record<number, string> = {
  400: 'The request is not valid',
  401: 'No valid access token (see WWW-Authenticate)',
  403: 'The token lacks the admin scope, its holder has no admin role, or the role does not allow this',
  404: 'No such resource (a malformed path parameter names none either)',
  409: 'It already exists',
  503: 'A service it needs (the session store) cannot be reached right now; retry',
  413: 'The request body is too large',
  415: 'The request body must be application/json',
};

/** Which refusals a route gives: those of every route of its kind, and its own. */
function errorCodesOf(route: AdminRouteDefinition): Map<number, AdminErrorCode[]> {
  const codes = new Set<AdminErrorCode>(route.errors ?? []);
  if (!route.public) ['invalid_request', 'invalid_token', 'insufficient_scope', 'access_denied', 'insufficient_role'].forEach((code) => codes.add(code as AdminErrorCode));
  if (route.body || route.query) codes.add('invalid_request');
  if (route.params) codes.add('not_found');
  const byStatus = new Map<number, AdminErrorCode[]>();
  for (const code of adminErrorCodeSchema.options) {
    if (!codes.has(code)) continue;
    const status = adminErrorStatus[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  // Refused by the HTTP layer before validation, in the same shape.
  if (route.body) for (const status of [413, 415]) byStatus.set(status, ['invalid_request']);
  return byStatus;
}

function responsesOf(route: AdminRouteDefinition, responseName: string | undefined): Record<string, JsonSchema> {
  const responses: Record<string, JsonSchema> = {
    [String(route.status)]: responseName ? { description: route.summary, content: { [JSON_MEDIA]: { schema: ref(responseName) } } } : { description: 'Done; no content' },
  };
  for (const [status, codes] of [...errorCodesOf(route)].sort(([a], [b]) => a - b)) {
    responses[String(status)] = {
      description: `${ERROR_TITLES[status] ?? 'Refused'}: ${codes.join(', ')}`,
      ...(status === 401 ? { headers: { 'WWW-Authenticate': { description: 'RFC 6750 Bearer challenge', schema: { type: 'string' } } } } : {}),
      content: { [JSON_MEDIA]: { schema: { allOf: [ref('AdminError')], properties: { error: { enum: codes } } } } },
    };
  }
  responses['500'] = { description: 'Unexpected failure: only a request id to find it in the log', content: { [JSON_MEDIA]: { schema: ref('ServerError') } } };
  return responses;
}

/** The admin API's OpenAPI 3.1 document: every route of the table, its parameters, bodies, responses and refusals. */
export function adminOpenApiDocument(options: AdminOpenApiOptions): OpenApiDocument {
  const routes = Object.values(options.routes ?? adminRoutes);
  const requests = new ComponentSet('input');
  const responses = new ComponentSet('output');
  for (const [schema, name] of NAMED_SCHEMAS) responses.name(schema, name);

  const paths: OpenApiDocument['paths'] = {};
  const seen = new Set<string>();
  for (const route of routes) {
    const path = `${ADMIN_API_PREFIX}${route.path}`;
    const method = route.method.toLowerCase();
    if (seen.has(route.operationId) || paths[path]?.[method]) throw new Error(`admin route ${route.operationId}: ${route.method} ${path} is defined twice`);
    seen.add(route.operationId);
    const base = pascal(route.operationId);
    const parameters = parametersOf(route);
    const operation: JsonSchema = {
      operationId: route.operationId,
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      tags: [route.tag],
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(route.body
        ? {
            requestBody: {
              // A body whose every field is optional may be left out (the server reads it as `{}`).
              required: !route.body.safeParse({}).success,
              content: { [JSON_MEDIA]: { schema: ref(requests.name(route.body, `${base}Request`)) } },
            },
          }
        : {}),
      responses: responsesOf(route, route.response ? responses.name(route.response, `${base}Response`) : undefined),
      // Which admin roles may call it (the guard's rule, from the same route entry).
      ...(route.public ? { security: [] } : { 'x-airlock-roles': adminRouteRoles(route) }),
    };
    paths[path] = { ...paths[path], [method]: operation };
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'Airlock admin API',
      version: ADMIN_API_PREFIX.split('/').at(-1) ?? 'v1',
      description:
        'Manage Airlock tenants, their users, clients, signing keys and upstream MCP servers. Authenticate with an access token of the ' +
        "platform's `admin` tenant carrying the `admin` scope (client credentials at its token endpoint). Lists are paged: pass " +
        '`nextCursor` back as `cursor`. Every refusal is `{ error, error_description }`.',
    },
    servers: [{ url: options.serverUrl }],
    security: [{ adminClientCredentials: [Scopes.admin] }, { adminBearer: [Scopes.admin] }],
    tags: [...new Set(routes.map((route) => route.tag))].map((name) => ({ name })),
    paths,
    components: {
      schemas: { ...responses.schemas(), ...requests.schemas() },
      securitySchemes: {
        adminClientCredentials: {
          type: 'oauth2',
          description: "A client of the platform's `admin` tenant (the bootstrap admin client, or another one it registered).",
          flows: { clientCredentials: { tokenUrl: options.tokenUrl, scopes: { [Scopes.admin]: 'Manage every tenant through this API' } } },
        },
        adminBearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: "An RFC 9068 access token from the `admin` tenant's issuer with scope `admin`." },
      },
    },
  };
}
