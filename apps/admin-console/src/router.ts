import { useSyncExternalStore } from 'react';

// Client routes without a router library: the path below /console and its search params (the filters,
// so a view can be shared by its URL). History API only; the server answers index.html for every path.

export const BASE = '/console';

function subscribe(listener: () => void): () => void {
  window.addEventListener('popstate', listener);
  window.addEventListener('airlock:navigate', listener);
  return () => {
    window.removeEventListener('popstate', listener);
    window.removeEventListener('airlock:navigate', listener);
  };
}

const snapshot = () => window.location.pathname + window.location.search;

export function useLocation(): { path: string; search: URLSearchParams } {
  const href = useSyncExternalStore(subscribe, snapshot);
  const url = new URL(href, window.location.origin);
  const path = url.pathname.startsWith(BASE) ? url.pathname.slice(BASE.length) || '/' : url.pathname;
  return { path, search: url.searchParams };
}

/** Goes to `to` (below /console), e.g. `/tenants/acme/audit?outcome=failure`. */
export function navigate(to: string, options: { replace?: boolean } = {}): void {
  const href = `${BASE}${to}`;
  if (options.replace) window.history.replaceState(null, '', href);
  else window.history.pushState(null, '', href);
  window.dispatchEvent(new Event('airlock:navigate'));
}

/** The same path with these search params changed (empty values removed). */
export function withSearch(path: string, search: URLSearchParams, changes: Record<string, string | undefined>): string {
  const next = new URLSearchParams(search);
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined || value === '') next.delete(name);
    else next.set(name, value);
  }
  const text = next.toString();
  return text ? `${path}?${text}` : path;
}

/** A path segment decoded (an id in the URL), or undefined when absent or not valid percent-encoding. */
export function decodeSegment(segment: string | undefined): string | undefined {
  if (segment === undefined) return undefined;
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
