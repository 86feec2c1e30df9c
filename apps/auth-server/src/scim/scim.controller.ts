import { Body, Controller, Param, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { ScimCaller } from './scim-auth.js';
import { listOf, resourceTypes, schemas, serviceProviderConfig } from './scim-discovery.js';
import { ScimGroupsService } from './scim-groups.service.js';
import { Caller, ScimRoute } from './scim-route.js';
import { ScimUsersService } from './scim-users.service.js';
import { ScimFailure } from './scim.errors.js';

/** RFC 7644 endpoints of one tenant at `/scim/v2/t/<tenant>`: Users, Groups and the discovery documents. */
@Controller()
export class ScimController {
  constructor(
    private readonly users: ScimUsersService,
    private readonly groups: ScimGroupsService,
  ) {}

  // Discovery

  @ScimRoute('GET', 'ServiceProviderConfig')
  serviceProviderConfig(@Caller() caller: ScimCaller) {
    return serviceProviderConfig(this.users.base(caller));
  }

  @ScimRoute('GET', 'ResourceTypes')
  resourceTypes(@Caller() caller: ScimCaller) {
    return listOf(resourceTypes(this.users.base(caller)));
  }

  @ScimRoute('GET', 'ResourceTypes/:id')
  resourceType(@Caller() caller: ScimCaller, @Param('id') id: string) {
    const found = resourceTypes(this.users.base(caller)).find((type) => type.id === id);
    if (!found) throw new ScimFailure(404, undefined, `resource type ${id} not found`);
    return found;
  }

  @ScimRoute('GET', 'Schemas')
  schemas(@Caller() caller: ScimCaller) {
    return listOf(schemas(this.users.base(caller)));
  }

  @ScimRoute('GET', 'Schemas/:id')
  schema(@Caller() caller: ScimCaller, @Param('id') id: string) {
    const found = schemas(this.users.base(caller)).find((schema) => schema.id === id);
    if (!found) throw new ScimFailure(404, undefined, `schema ${id} not found`);
    return found;
  }

  // Users

  @ScimRoute('GET', 'Users')
  listUsers(@Caller() caller: ScimCaller, @Query() query: unknown) {
    return this.users.list(caller, query);
  }

  @ScimRoute('POST', 'Users', 201)
  async createUser(@Caller() caller: ScimCaller, @Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply) {
    const user = await this.users.create(caller, body);
    void reply.header('location', user.meta.location);
    return user;
  }

  @ScimRoute('GET', 'Users/:id')
  getUser(@Caller() caller: ScimCaller, @Param('id') id: string) {
    return this.users.get(caller, id);
  }

  @ScimRoute('PUT', 'Users/:id')
  replaceUser(@Caller() caller: ScimCaller, @Param('id') id: string, @Body() body: unknown) {
    return this.users.replace(caller, id, body);
  }

  @ScimRoute('PATCH', 'Users/:id')
  patchUser(@Caller() caller: ScimCaller, @Param('id') id: string, @Body() body: unknown) {
    return this.users.patch(caller, id, body);
  }

  @ScimRoute('DELETE', 'Users/:id', 204)
  async deleteUser(@Caller() caller: ScimCaller, @Param('id') id: string): Promise<void> {
    await this.users.delete(caller, id);
  }

  // Groups

  @ScimRoute('GET', 'Groups')
  listGroups(@Caller() caller: ScimCaller, @Query() query: unknown) {
    return this.groups.list(caller, query);
  }

  @ScimRoute('POST', 'Groups', 201)
  async createGroup(@Caller() caller: ScimCaller, @Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply) {
    const group = await this.groups.create(caller, body);
    void reply.header('location', group.meta.location);
    return group;
  }

  @ScimRoute('GET', 'Groups/:id')
  getGroup(@Caller() caller: ScimCaller, @Param('id') id: string, @Query() query: unknown) {
    return this.groups.get(caller, id, query);
  }

  @ScimRoute('PUT', 'Groups/:id')
  replaceGroup(@Caller() caller: ScimCaller, @Param('id') id: string, @Body() body: unknown) {
    return this.groups.replace(caller, id, body);
  }

  @ScimRoute('PATCH', 'Groups/:id')
  patchGroup(@Caller() caller: ScimCaller, @Param('id') id: string, @Body() body: unknown) {
    return this.groups.patch(caller, id, body);
  }

  @ScimRoute('DELETE', 'Groups/:id', 204)
  async deleteGroup(@Caller() caller: ScimCaller, @Param('id') id: string): Promise<void> {
    await this.groups.delete(caller, id);
  }

  // Not offered (RFC 7644 §3.7, §3.11, §3.4.3): 501 so a client knows, not a 404.

  @ScimRoute('POST', 'Bulk')
  bulk(): never {
    throw new ScimFailure(501, undefined, 'Bulk is not supported');
  }

  @ScimRoute('GET', 'Me')
  me(): never {
    throw new ScimFailure(501, undefined, '/Me is not supported: SCIM here is for provisioning clients, not users');
  }

  @ScimRoute('POST', 'Users/.search')
  searchUsers(): never {
    throw new ScimFailure(501, undefined, 'POST .search is not supported: use GET with ?filter=');
  }

  @ScimRoute('POST', 'Groups/.search')
  searchGroups(): never {
    throw new ScimFailure(501, undefined, 'POST .search is not supported: use GET with ?filter=');
  }
}
