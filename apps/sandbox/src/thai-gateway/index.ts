import { type ThaiGatewayAmountUnit, thaiGateway } from '@payouts/providers';
import { defineSimulator, type SimulatorOptions } from '../common/registration.ts';
import { thaiGatewayRouter } from './routes.ts';
import { type ThaiGatewayCredentials, ThaiGatewaySimulator } from './simulator.ts';
import { thaiGatewayState } from './state.ts';

export type { ThaiGatewayCredentials } from './simulator.ts';

/** `config.balance` is in satang. */
export type ThaiGatewayOptions = SimulatorOptions<ThaiGatewayCredentials>;

/** The sandbox's default credentials; the engine's THAI_GATEWAY_* variables default to the same pair. */
export const THAI_GATEWAY_DEFAULT_CREDENTIALS: ThaiGatewayCredentials = {
  apiKey: 'thai_sandbox_key',
  apiSecret: 'thai_sandbox_secret',
};

export const thaiGatewaySimulator = defineSimulator({
  provider: thaiGateway,
  key: 'thaiGateway',
  defaults: THAI_GATEWAY_DEFAULT_CREDENTIALS,
  credentials: (env) => ({
    apiKey: env('THAI_GATEWAY_API_KEY'),
    apiSecret: env('THAI_GATEWAY_API_SECRET'),
    amountUnit: env('THAI_GATEWAY_AMOUNT_UNIT') as ThaiGatewayAmountUnit,
  }),
  simulator: (runtime, credentials) => new ThaiGatewaySimulator(runtime, credentials),
  router: thaiGatewayRouter,
  state: thaiGatewayState,
});
