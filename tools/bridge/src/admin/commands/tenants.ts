import { adminRoutes } from '@airlock/contracts';
import type { AdminCommand } from '../admin-command.js';
import { notePage, pageDetails, pageOptions, pageQuery, stringOption } from '../admin-command.js';
import { formatRecord, formatTable } from '../admin-table.js';

type Tenant = { slug: string; displayName: string; registrationPolicy: string; accessTokenTtl: number; createdAt: string };

const tenantColumns = [
  { header: 'slug', value: (tenant: Tenant) => tenant.slug },
  { header: 'name', value: (tenant: Tenant) => tenant.displayName },
  { header: 'registration', value: (tenant: Tenant) => tenant.registrationPolicy },
  { header: 'token ttl', value: (tenant: Tenant) => `${tenant.accessTokenTtl}s` },
  { header: 'created', value: (tenant: Tenant) => tenant.createdAt },
];

export const tenantCommands: AdminCommand[] = [
  {
    resource: 'tenants',
    action: 'list',
    synopsis: '[--limit <n>] [--cursor <c>]',
    summary: 'list tenants',
    positionals: [],
    options: pageOptions,
    details: pageDetails,
    async run(_args, values, context) {
      const { raw, data } = await context.api.call(adminRoutes.listTenants, { query: pageQuery(values) });
      if (context.json) return context.print(JSON.stringify(raw, null, 2) + '\n');
      context.print(formatTable(data.items, tenantColumns));
      notePage(context, data.nextCursor);
    },
  },
  {
    resource: 'tenants',
    action: 'create',
    synopsis: '<slug> [--name <display name>] [--registration-policy open|initial_access_token|off] [--access-token-ttl <seconds>]',
    summary: 'create a tenant (and its signing keys)',
    positionals: ['slug'],
    options: { name: { type: 'string' }, 'registration-policy': { type: 'string' }, 'access-token-ttl': { type: 'string' } },
    details: ['--name <n>                  display name (default: the slug)', '--registration-policy <p>   dynamic client registration: open (default), initial_access_token, off', '--access-token-ttl <s>      access-token lifetime, 60-86400 seconds (default 600)'],
    async run(args, values, context) {
      const ttl = stringOption(values, 'access-token-ttl');
      const body = {
        slug: args['slug'],
        displayName: stringOption(values, 'name') ?? args['slug'],
        registrationPolicy: stringOption(values, 'registration-policy'),
        // A number when it reads as one; otherwise the schema refuses the text as it was given.
        accessTokenTtl: ttl !== undefined && /^\d+$/.test(ttl) ? Number(ttl) : ttl,
      };
      const { raw, data } = await context.api.call(adminRoutes.createTenant, { body });
      if (context.json) return context.print(JSON.stringify(raw, null, 2) + '\n');
      context.print(formatRecord([['created tenant', data.slug], ['name', data.displayName], ['registration', data.registrationPolicy], ['token ttl', `${data.accessTokenTtl}s`], ['id', data.id]]));
    },
  },
];
