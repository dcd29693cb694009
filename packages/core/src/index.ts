export * from './errors.ts';
export * from './http.ts';
export * from './ids.ts';
export * from './json.ts';
export * from './money.ts';
export * from './payout-states.ts';
export * from './providers.ts';
export * from './webhook-events.ts';
