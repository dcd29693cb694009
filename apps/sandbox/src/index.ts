export { createSandbox, type SandboxOptions, type SandboxState } from './app.ts';
export type { ProviderConfig, ProviderConfigPatch } from './common/config.ts';
export { DEFAULT_PROVIDER_CONFIG } from './common/config.ts';
export { ManualScheduler } from './common/manual-scheduler.ts';
export type { AdminPayoutEntry, ProviderSimulator } from './common/provider.ts';
export { type Random, seededRandom } from './common/random.ts';
export { type Scheduler, timerScheduler } from './common/scheduler.ts';
export { feesFor as druoFeesFor } from './druo/fees.ts';
export { DRUO_DEFAULT_CREDENTIALS, type DruoCredentials, type DruoOptions } from './druo/index.ts';
export type { DruoTransaction } from './druo/wire.ts';
export { KRAYON_FEE_PAISE } from './krayon/fees.ts';
export { KRAYON_DEFAULT_CREDENTIALS, type KrayonCredentials, type KrayonOptions } from './krayon/index.ts';
export type { KrayonDeposit } from './krayon/wire.ts';
export { feesFor as razorpayxFeesFor } from './razorpayx/fees.ts';
export { RAZORPAYX_DEFAULT_CREDENTIALS, type RazorpayXCredentials, type RazorpayXOptions } from './razorpayx/index.ts';
export type { RazorpayXPayout } from './razorpayx/wire.ts';
export { type RunningSandbox, type StartSandboxOptions, startSandbox } from './server.ts';
export {
  THAI_GATEWAY_DEFAULT_CREDENTIALS,
  type ThaiGatewayCredentials,
  type ThaiGatewayOptions,
} from './thai-gateway/index.ts';
