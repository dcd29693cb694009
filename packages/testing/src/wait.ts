/**
 * How long a test waits for a condition before it calls it broken: long enough that only a real
 * failure reaches it, on a machine whose two cores are shared with whatever else runs (CI, a
 * second test run, a build). Tests wait for what they can observe, never for a budget tuned to an
 * idle machine: a ceiling this generous costs nothing when things work and turns a hang into a
 * clear message. vitest's own per-test ceiling (vitest.config.ts) sits above it.
 */
export const PATIENCE_MS = 120_000;

/** Polls `check` until it returns a value other than undefined/false: that value, or the last error at the deadline. */
async function poll<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs: number,
  intervalMs: number,
): Promise<{ value: T } | { last: unknown }> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return { value: value as T };
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  return { last };
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  options: { timeoutMs?: number; intervalMs?: number; message?: string } = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? PATIENCE_MS;
  const outcome = await poll(check, timeoutMs, options.intervalMs ?? 25);
  if ('value' in outcome) return outcome.value;
  const { last } = outcome;
  throw new Error(`${options.message ?? 'condition not met'} within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
}

/**
 * `waitFor` for harnesses that name what they wait for and poll more gently (child processes,
 * servers coming up): polls `check` every `intervalMs` until it returns a value other than
 * undefined/false, or fails after `timeoutMs` saying `what` did not happen.
 */
export async function waitUntil<T>(
  check: () => Promise<T | undefined | false>,
  timeoutMs: number,
  what: string,
  intervalMs = 200,
): Promise<T> {
  const outcome = await poll(check, timeoutMs, intervalMs);
  if ('value' in outcome) return outcome.value;
  const { last } = outcome;
  throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (${String(last)})` : ''}`);
}
