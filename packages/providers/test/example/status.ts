import type { ProviderOutcome } from '../../src/contract/index.ts';
import { EXAMPLE_PAY_STATUSES } from './wire.ts';

type ExamplePayStatus = (typeof EXAMPLE_PAY_STATUSES)[number];

const OUTCOMES: Record<ExamplePayStatus, ProviderOutcome> = {
  pending: 'processing',
  sent: 'processed',
  failed: 'failed',
  returned: 'reversed',
};

const isStatus = (status: string): status is ExamplePayStatus =>
  (EXAMPLE_PAY_STATUSES as readonly string[]).includes(status);

/** A status we do not know is still in progress. */
export function toOutcome(status: string): ProviderOutcome {
  return isStatus(status) ? OUTCOMES[status] : 'processing';
}
