export { toCanonical } from '@payouts/payouts';
export * from './adapters.ts';
export * from './env.ts';
export { loadPayout } from './payout-record.ts';
export * from './poll-schedule.ts';
export * from './retry-policy.ts';
export * from './settings.ts';
export * from './worker.ts';
