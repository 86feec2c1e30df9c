// The tenants this browser looked at last (newest first), for the tenant switcher's "Recent" group. Kept
// in localStorage: slugs only (no tenant data), and a tenant the caller can no longer see just fails to open.

const KEY = 'airlock.console.recentTenants';
const MAX = 5;

export function recentTenants(): string[] {
  try {
    const stored = JSON.parse(window.localStorage.getItem(KEY) ?? '[]') as unknown;
    return Array.isArray(stored) ? stored.filter((slug): slug is string => typeof slug === 'string').slice(0, MAX) : [];
  } catch {
    return [];
  }
}

export function rememberTenant(slug: string): void {
  try {
    window.localStorage.setItem(KEY, JSON.stringify([slug, ...recentTenants().filter((other) => other !== slug)].slice(0, MAX)));
  } catch {
    // Storage full or disabled: the switcher simply has no recent list.
  }
}

export function forgetTenant(slug: string): void {
  try {
    window.localStorage.setItem(KEY, JSON.stringify(recentTenants().filter((other) => other !== slug)));
  } catch {
    // As above.
  }
}
