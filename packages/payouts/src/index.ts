export * from './accepted.ts';
export * from './creation-webhooks.ts';
export * from './predicates.ts';
export * from './preflight.ts';
export * from './queries.ts';
export * from './resources.ts';
export * from './rows.ts';
export * from './state-rules.ts';
