/**
 * Closed-loop load: `clients` workers each send their next request when the
 * previous one answered, until `requests` have been sent in all. `op`
 * returns false for an unexpected answer (counted as an error).
 */
export async function closedLoop(options: { clients: number; requests: number; op: (index: number) => Promise<boolean> }) {
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: options.clients }, async () => {
      while (next < options.requests) {
        const index = next++;
        const t0 = performance.now();
        let ok = false;
        try {
          ok = await options.op(index);
        } catch {
          ok = false;
        }
        latencies.push(performance.now() - t0);
        if (!ok) errors++;
      }
    }),
  );
  return { latencies, errors, elapsedMs: performance.now() - started };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function waitFor<T>(check: () => Promise<T | undefined>, options: { timeoutMs: number; everyMs?: number; what: string }): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${options.what}`);
    await sleep(options.everyMs ?? 50);
  }
}
