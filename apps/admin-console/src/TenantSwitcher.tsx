import { Select } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { adminApi } from './api.js';
import { recentTenants, rememberTenant } from './recent-tenants.js';
import { navigate } from './router.js';

/** Matches the switcher asks the server for (and shows). */
const SWITCHER_LIMIT = 10;

/**
 * Picks the tenant to look at, searching on the server (`?q=` prefix, first 10): it works the same with
 * a thousand tenants, since nothing loads the whole list. With no search typed, the tenants this browser
 * opened last come first, under "Recent".
 */
export function TenantSwitcher({ current, view }: { current: string | undefined; view: string }) {
  const [searchValue, setSearchValue] = useState('');
  const [recent, setRecent] = useState(recentTenants);
  useEffect(() => {
    if (current) rememberTenant(current);
    setRecent(recentTenants());
    // Leaving a tenant (to a page of none, or it was deleted): its slug is no search any more.
    setSearchValue(current ?? '');
  }, [current]);
  const [q] = useDebouncedValue(searchValue, 200);
  const searching = Boolean(q && q !== current);
  const found = useQuery({
    queryKey: ['tenant-switcher', searching ? q : ''],
    queryFn: () => adminApi.listTenants({ q: searching ? q : undefined, limit: SWITCHER_LIMIT }),
    placeholderData: keepPreviousData,
    staleTime: 10_000,
  });
  const slugs = found.data?.items.map((tenant) => tenant.slug) ?? [];
  // Each slug once (Mantine refuses duplicate options): recent ones are not repeated below.
  const recentShown = searching ? [] : recent;
  const rest = slugs.filter((slug) => !recentShown.includes(slug));
  const others = current && !recentShown.includes(current) && !rest.includes(current) ? [current, ...rest] : rest;
  const data = [...(recentShown.length > 0 ? [{ group: 'Recent', items: recentShown }] : []), ...(others.length > 0 ? [{ group: searching ? 'Matching' : 'Tenants', items: others }] : [])];
  return (
    <Select
      // A new combobox per tenant: Mantine keeps the option last reached with the arrow keys as the input's
      // aria-activedescendant until the next arrow key, even after the options changed (a dangling id).
      key={current ?? ''}
      label="Tenant"
      placeholder="Search tenants"
      searchable
      data={data}
      value={current ?? null}
      searchValue={searchValue}
      onSearchChange={setSearchValue}
      // The server filtered already; show what it answered.
      filter={({ options }) => options}
      nothingFoundMessage={found.isFetching ? 'Searching…' : 'No tenant starts with that'}
      onChange={(slug) => slug && navigate(view === '' ? `/tenants/${slug}` : `/tenants/${slug}/${view}`)}
      w={240}
      comboboxProps={{ withinPortal: true }}
      // No scrolling list: a scrollable region inside the listbox is neither reachable by Tab nor allowed
      // to hold a focusable viewport (axe: scrollable-region-focusable, aria-required-children). Ten matches
      // and five recent tenants fit; typing more of the slug narrows the rest.
      withScrollArea={false}
    />
  );
}
