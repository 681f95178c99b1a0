/**
 * The one retry loop of the code base. DynamoDB hands back unprocessed
 * items, cancels transactions on conflict and refuses a version condition
 * that a racing writer just moved; each caller says which outcome is worth
 * another attempt, and they all wait the same way: exponential, capped,
 * with full jitter so racing writers spread out.
 */
export interface BackoffOptions {
  /** Attempts in all, the first included. @default 8 */
  readonly attempts?: number;
  /** Wait before the second attempt, doubled each time. @default 20 */
  readonly baseMs?: number;
  /** Longest wait. @default 1000 */
  readonly maxMs?: number;
  /** Whether a thrown error deserves another attempt. @default never */
  readonly retryable?: (error: unknown) => boolean;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** The wait before attempt `attempt` (1-based after the first): jittered between half and all of the capped exponential. */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const ceiling = Math.min(options.maxMs ?? 1000, (options.baseMs ?? 20) * 2 ** (attempt - 1));
  return ceiling / 2 + (Math.random() * ceiling) / 2;
}

/**
 * Runs `step(attempt)` until it returns a value other than `RETRY`, or
 * throws an error `retryable` refuses. `RETRY` asks for another attempt
 * without an error (unprocessed items). After the last attempt a `RETRY`
 * becomes `exhausted()`'s error and a retryable error is rethrown.
 */
export const RETRY: unique symbol = Symbol('retry');

export async function withBackoff<T>(
  step: (attempt: number) => Promise<T | typeof RETRY>,
  options: BackoffOptions & { exhausted?: () => Error } = {},
): Promise<T> {
  const attempts = options.attempts ?? 8;
  for (let attempt = 0; ; attempt++) {
    if (attempt > 0) await sleep(backoffDelay(attempt, options));
    const last = attempt >= attempts - 1;
    try {
      const result = await step(attempt);
      if (result !== RETRY) return result;
      if (last) throw options.exhausted?.() ?? new Error(`gave up after ${attempts} attempts`);
    } catch (error) {
      if (last || !options.retryable?.(error)) throw error;
    }
  }
}
