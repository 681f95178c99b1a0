import { afterAll, beforeAll } from 'vitest';
import type { LocalStackOptions } from '../../infra/local/stack.js';
import { startLocalStack } from './local-stack.js';

export type TestStack = Awaited<ReturnType<typeof startLocalStack>>;

/** The local stack of one test file, started before its tests and stopped after them. */
export function useLocalStack(options: Partial<LocalStackOptions> = {}): TestStack {
  return startedForFile('the local stack', () => startLocalStack(options), (stack) => stack.stop());
}

/**
 * Something a whole test file shares (a stack, a browser): started in
 * `beforeAll`, stopped in `afterAll`. The object returned stands for it from
 * the first test on; reading it before it has started throws.
 */
export function startedForFile<T extends object>(what: string, start: () => Promise<T>, stop: (started: T) => Promise<void>): T {
  let started: T | undefined;
  beforeAll(async () => {
    started = await start();
  });
  afterAll(async () => {
    if (started) await stop(started);
  });
  return new Proxy({} as T, {
    get(_, key) {
      if (!started) throw new Error(`${what} is not started yet (reading ${String(key)})`);
      const value = Reflect.get(started, key, started);
      return typeof value === 'function' ? value.bind(started) : value;
    },
  });
}

/** The demo users the tests act as (the local sign-in page offers the same three). */
export function usersOf(stack: Pick<TestStack, 'api'>) {
  return {
    admin: () => stack.api.as('admin', 'ana'),
    operator: () => stack.api.as('operator', 'otto'),
    agent: () => stack.api.as('agent', 'gil'),
  };
}
