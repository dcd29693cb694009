/**
 * How long a test waits for a condition before it calls it broken: long enough that only a real
 * failure reaches it, on a machine whose two cores are shared with whatever else runs (CI, a
 * second test run, a build). Tests wait for what they can observe, never for a budget tuned to an
 * idle machine: a ceiling this generous costs nothing when things work and turns a hang into a
 * clear message. vitest's own per-test ceiling (vitest.config.ts) sits above it.
 */
export const PATIENCE_MS = 120_000;

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  options: { timeoutMs?: number; intervalMs?: number; message?: string } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? PATIENCE_MS);
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value as T;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 25));
  }
  throw new Error(
    `${options.message ?? 'condition not met'} within ${options.timeoutMs ?? PATIENCE_MS} ms${last ? `: ${String(last)}` : ''}`,
  );
}
