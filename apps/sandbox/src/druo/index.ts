import { druo } from '@payouts/providers';
import { defineSimulator, type SimulatorOptions } from '../common/registration.ts';
import { druoRouter } from './routes.ts';
import { type DruoCredentials, DruoSimulator } from './simulator.ts';
import { druoState } from './state.ts';

export type { DruoCredentials } from './simulator.ts';

/** `config.balance` is each currency's. */
export type DruoOptions = SimulatorOptions<DruoCredentials>;

/**
 * The engine's env defaults to the same values (DRUO_ACCESS_TOKEN, DRUO_TENANT_ID), so both
 * sides agree out of the box. The tenant is the one in the page's field examples.
 */
export const DRUO_DEFAULT_CREDENTIALS: DruoCredentials = {
  accessToken: 'druo_sandbox_token',
  tenantId: 'ten_0521aadc-5fbd-4b3c-af0a-a4f4b8d6f20a',
};

export const druoSimulator = defineSimulator({
  provider: druo,
  key: 'druo',
  defaults: DRUO_DEFAULT_CREDENTIALS,
  credentials: (env) => ({ accessToken: env('DRUO_ACCESS_TOKEN'), tenantId: env('DRUO_TENANT_ID') }),
  simulator: (runtime, credentials) => new DruoSimulator(runtime, credentials),
  router: druoRouter,
  state: druoState,
});
