import { ScimSchemas } from '@airlock/contracts';

// RFC 7643 §5-7 discovery documents: what this server supports, its two resource types, their schemas.

type Attribute = {
  name: string;
  type: 'string' | 'boolean' | 'complex' | 'dateTime' | 'reference';
  multiValued: boolean;
  required: boolean;
  caseExact: boolean;
  mutability: 'readOnly' | 'readWrite' | 'immutable';
  returned: 'always' | 'default';
  uniqueness: 'none' | 'server';
  subAttributes?: Attribute[];
};

const attribute = (name: string, type: Attribute['type'], extra: Partial<Attribute> = {}): Attribute => ({
  name,
  type,
  multiValued: false,
  required: false,
  caseExact: false,
  mutability: 'readWrite',
  returned: 'default',
  uniqueness: 'none',
  ...extra,
});

const USER_ATTRIBUTES: Attribute[] = [
  attribute('userName', 'string', { required: true, uniqueness: 'server', returned: 'always' }),
  attribute('externalId', 'string', { caseExact: true, uniqueness: 'server' }),
  attribute('displayName', 'string'),
  attribute('name', 'complex', { subAttributes: [attribute('formatted', 'string'), attribute('givenName', 'string'), attribute('familyName', 'string')] }),
  attribute('active', 'boolean'),
  attribute('emails', 'complex', { multiValued: true, subAttributes: [attribute('value', 'string'), attribute('type', 'string'), attribute('primary', 'boolean')] }),
  attribute('groups', 'complex', { multiValued: true, mutability: 'readOnly', subAttributes: [attribute('value', 'string', { mutability: 'readOnly' }), attribute('display', 'string', { mutability: 'readOnly' })] }),
];

const GROUP_ATTRIBUTES: Attribute[] = [
  attribute('displayName', 'string', { required: true, uniqueness: 'server' }),
  attribute('externalId', 'string', { caseExact: true }),
  attribute('members', 'complex', { multiValued: true, subAttributes: [attribute('value', 'string', { mutability: 'immutable' }), attribute('display', 'string', { mutability: 'readOnly' })] }),
];

export function serviceProviderConfig(base: string) {
  return {
    schemas: [ScimSchemas.serviceProviderConfig],
    documentationUri: 'https://datatracker.ietf.org/doc/html/rfc7644',
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: 200 },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: false },
    authenticationSchemes: [
      { type: 'oauthbearertoken', name: 'Bearer token', description: "A tenant's SCIM token, made in the admin API (`admin scim-tokens create`)", primary: true },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${base}/ServiceProviderConfig` },
  };
}

export function resourceTypes(base: string) {
  return [
    { schemas: [ScimSchemas.resourceType], id: 'User', name: 'User', endpoint: '/Users', schema: ScimSchemas.user, meta: { resourceType: 'ResourceType', location: `${base}/ResourceTypes/User` } },
    { schemas: [ScimSchemas.resourceType], id: 'Group', name: 'Group', endpoint: '/Groups', schema: ScimSchemas.group, meta: { resourceType: 'ResourceType', location: `${base}/ResourceTypes/Group` } },
  ];
}

export function schemas(base: string) {
  return [
    { schemas: [ScimSchemas.schema], id: ScimSchemas.user, name: 'User', attributes: USER_ATTRIBUTES, meta: { resourceType: 'Schema', location: `${base}/Schemas/${ScimSchemas.user}` } },
    { schemas: [ScimSchemas.schema], id: ScimSchemas.group, name: 'Group', attributes: GROUP_ATTRIBUTES, meta: { resourceType: 'Schema', location: `${base}/Schemas/${ScimSchemas.group}` } },
  ];
}

export function listOf<T>(resources: T[]) {
  return { schemas: [ScimSchemas.listResponse], totalResults: resources.length, startIndex: 1, itemsPerPage: resources.length, Resources: resources };
}
