import type { Schemas } from './api/client';

export type Provider = Schemas['ProviderDowntime']['provider'];

/** The providers the operator pages name (reconciliation runs, downtimes): the API's own enum. */
export const PROVIDERS: readonly Provider[] = ['razorpayx', 'krayon', 'thai-gateway', 'druo'];
