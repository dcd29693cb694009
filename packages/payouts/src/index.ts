export * from './accepted.ts';
export * from './downtimes.ts';
export * from './predicates.ts';
export * from './queries.ts';
export * from './resources.ts';
export * from './rows.ts';
export * from './state-rules.ts';
