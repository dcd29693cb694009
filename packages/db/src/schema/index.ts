export * from './batches.ts';
export * from './idempotency.ts';
export * from './ledger.ts';
export * from './operator-actions.ts';
export * from './payouts.ts';
export * from './provider-events.ts';
export * from './tenants.ts';
export * from './webhooks.ts';
