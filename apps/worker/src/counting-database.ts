import type { Database } from '@payouts/db';

/**
 * For tests: the database, counting the calls of one of its query builders (`select`, `execute`).
 * The queries still go to Postgres; only how many were started is counted.
 */
export function countingDatabase(db: Database, method: 'select' | 'execute'): { db: Database; calls: () => number } {
  let calls = 0;
  const wrapped = new Proxy(db, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (property !== method || typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls++;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { db: wrapped, calls: () => calls };
}
