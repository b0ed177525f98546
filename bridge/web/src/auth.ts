// The bridge's token, when it has one. It lives in sessionStorage (this tab only, gone when it closes), goes to
// the JSON API in an Authorization header and to the stream as `?access_token=` (an EventSource cannot send
// headers), and never into the address bar.

const STORAGE_KEY = 'gravito-pulse-token';

export function storedToken(): string | undefined {
  try {
    return sessionStorage.getItem(STORAGE_KEY) ?? undefined;
  } catch {
    return undefined; // storage disabled: the login form comes back on each load
  }
}

export function storeToken(token: string | undefined): void {
  try {
    if (token === undefined) sessionStorage.removeItem(STORAGE_KEY);
    else sessionStorage.setItem(STORAGE_KEY, token);
  } catch {
    // storage disabled: the token lives as long as this page
  }
}

export function authHeaders(token: string | undefined): Record<string, string> {
  return token ? { Authorization: `Bearer ${token}` } : {};
}

export type Access = 'granted' | 'refused' | 'throttled' | 'unreachable';

export interface AccessProbe {
  access: Access;
  /** With `throttled`: the bridge's `Retry-After`, in seconds. */
  retryAfterSeconds?: number;
}

/**
 * Asks `/readyz` (token-protected, cheap) whether this token, or none, is enough. 503 means Redis or its polls are
 * down: still granted. 429 means this address sent too many wrong tokens: the token was not even checked.
 */
export async function probeAccess(token: string | undefined): Promise<AccessProbe> {
  try {
    const res = await fetch('/readyz', { headers: authHeaders(token), cache: 'no-store' });
    await res.body?.cancel();
    if (res.status === 429) return { access: 'throttled', retryAfterSeconds: Number(res.headers.get('Retry-After')) || 1 };
    return { access: res.status === 401 ? 'refused' : 'granted' };
  } catch {
    return { access: 'unreachable' };
  }
}
