/** Hash routing without a library: `#/contacts/123?tab=x` -> path `/contacts/123`, query `tab=x`. */
import type { Component } from 'svelte';
import type { Action } from './permissions';

export interface RouteDefinition {
  pattern: string;
  load: () => Promise<{ default: Component<any> }>;
  /** Permission needed to open the page. */
  requires?: Action;
}

export interface RouteMatch {
  route: RouteDefinition;
  params: Record<string, string>;
}

function readHash(): { path: string; query: URLSearchParams } {
  const raw = window.location.hash.replace(/^#/, '') || '/contacts';
  const [path = '/', search = ''] = raw.split('?');
  return { path: path.startsWith('/') ? path : `/${path}`, query: new URLSearchParams(search) };
}

class Router {
  path = $state('/contacts');
  query = $state.raw(new URLSearchParams());

  constructor() {
    this.#sync();
    window.addEventListener('hashchange', () => this.#sync());
  }

  #sync(): void {
    const { path, query } = readHash();
    this.path = path;
    this.query = query;
  }

  go(hash: string): void {
    const target = hash.startsWith('#') ? hash : `#${hash}`;
    if (window.location.hash === target) this.#sync();
    else window.location.hash = target;
  }

  /** Rewrites the query part of the current hash without a new history entry. */
  replaceQuery(params: Record<string, string | undefined>): void {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) if (value) query.set(key, value);
    const qs = query.toString();
    window.history.replaceState(null, '', `#${this.path}${qs ? `?${qs}` : ''}`);
    this.query = query;
  }
}

export const router = new Router();

export function matchRoute(routes: readonly RouteDefinition[], path: string): RouteMatch | null {
  const parts = path.split('/').filter(Boolean);
  for (const route of routes) {
    const pattern = route.pattern.split('/').filter(Boolean);
    if (pattern.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < pattern.length; i++) {
      const seg = pattern[i]!;
      const part = parts[i]!;
      if (seg.startsWith(':')) params[seg.slice(1)] = decodeURIComponent(part);
      else if (seg !== part) {
        ok = false;
        break;
      }
    }
    if (ok) return { route, params };
  }
  return null;
}

export function href(path: string, query?: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) if (value) params.set(key, value);
  const qs = params.toString();
  return `#${path}${qs ? `?${qs}` : ''}`;
}
