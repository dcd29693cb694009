export * from './accepted.ts';
export * from './predicates.ts';
export * from './provider-terms.ts';
export * from './queries.ts';
export * from './reconciliation.ts';
export * from './resources.ts';
export * from './rows.ts';
export * from './state-rules.ts';
