import { Select } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { adminApi } from './api.js';
import { navigate } from './router.js';

/**
 * Picks the tenant to look at, searching on the server (`?q=` prefix, first 20): it works the same with
 * a thousand tenants, since nothing loads the whole list.
 */
export function TenantSwitcher({ current, view }: { current: string | undefined; view: string }) {
  const [searchValue, setSearchValue] = useState('');
  const [q] = useDebouncedValue(searchValue, 200);
  const found = useQuery({
    queryKey: ['tenant-switcher', q === current ? '' : q],
    queryFn: () => adminApi.listTenants({ q: q && q !== current ? q : undefined, limit: 20 }),
    placeholderData: keepPreviousData,
    staleTime: 10_000,
  });
  const slugs = found.data?.items.map((tenant) => tenant.slug) ?? [];
  const data = current && !slugs.includes(current) ? [current, ...slugs] : slugs;
  return (
    <Select
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
      onChange={(slug) => slug && navigate(`/tenants/${slug}/${view}`)}
      w={240}
      comboboxProps={{ withinPortal: true }}
    />
  );
}
