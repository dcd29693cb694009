import { krayon } from '@payouts/providers';
import { defineSimulator, type SimulatorOptions } from '../common/registration.ts';
import { krayonRouter } from './routes.ts';
import { type KrayonCredentials, KrayonSimulator } from './simulator.ts';
import { krayonState } from './state.ts';

export type { KrayonCredentials } from './simulator.ts';

export type KrayonOptions = SimulatorOptions<KrayonCredentials>;

/** The sandbox's default token; the engine's KRAYON_API_TOKEN defaults to the same. */
export const KRAYON_DEFAULT_CREDENTIALS: KrayonCredentials = {
  apiToken: 'krayon_sandbox_token',
};

export const krayonSimulator = defineSimulator({
  provider: krayon,
  key: 'krayon',
  defaults: KRAYON_DEFAULT_CREDENTIALS,
  credentials: (env) => ({
    apiToken: env('KRAYON_API_TOKEN'),
    feeMode: env('KRAYON_FEE_MODE') as 'on_top' | 'deducted',
  }),
  simulator: (runtime, credentials) => new KrayonSimulator(runtime, credentials),
  router: krayonRouter,
  state: krayonState,
});
