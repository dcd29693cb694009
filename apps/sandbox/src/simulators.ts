import type { SimulatorRegistration } from './common/registration.ts';
import { druoSimulator } from './druo/index.ts';
import { krayonSimulator } from './krayon/index.ts';
import { razorpayxSimulator } from './razorpayx/index.ts';
import { thaiGatewaySimulator } from './thai-gateway/index.ts';

/**
 * The simulators the sandbox serves, each at `/<provider id>`: the one list. Its options, its state
 * and its environment are derived from it. A new simulator is a folder beside `razorpayx/` exporting
 * its registration, and one entry here.
 */
export const SIMULATORS = [
  razorpayxSimulator,
  krayonSimulator,
  druoSimulator,
  thaiGatewaySimulator,
] as const satisfies readonly SimulatorRegistration[];
