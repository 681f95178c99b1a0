import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Who the code running now acts for: set once where work enters a function
 * (the router for a request, the job runner for a job, a schedule for its
 * run) and read where a change is written, so the activity entry written in
 * the same transaction as a change names its author without every service
 * passing it along.
 */
export type Actor =
  | { readonly kind: 'person'; readonly sub: string }
  | { readonly kind: 'apiKey'; readonly id: string }
  | { readonly kind: 'job'; readonly jobId: string; readonly sub?: string }
  | { readonly kind: 'schedule'; readonly name: string };

const storage = new AsyncLocalStorage<Actor>();

export function runAs<T>(actor: Actor, work: () => Promise<T>): Promise<T> {
  return storage.run(actor, work);
}

/** The actor of the work under way; a schedule when nothing set one (stream processors, scripts). */
export function currentActor(): Actor {
  return storage.getStore() ?? { kind: 'schedule', name: 'system' };
}
