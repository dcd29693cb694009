import type { FieldIssue } from '@payouts/core';
import {
  type CanonicalPayout,
  type Capability,
  createHttpClient,
  type HttpClient,
  type ProviderAdapter,
} from '../../src/contract/index.ts';
import { defineAdapter } from '../../src/kit/index.ts';
import { createExamplePayClient } from './client.ts';
import { referenceFor, toCreatePayoutRequest, toPayoutState } from './transformers.ts';

export interface ExamplePayConfig {
  baseUrl: string;
  apiKey: string;
  timeoutMs: number;
  http?: HttpClient;
}

const PROVIDER = 'example-pay';

/** No cancel, webhooks or balance: the kit answers `unsupported` for them. */
export const CAPABILITIES: ReadonlySet<Capability> = new Set<Capability>([
  'submit',
  'lookup_by_id',
  'lookup_by_reference',
  'idempotent_submit',
]);

export function createExamplePayAdapter(config: ExamplePayConfig): ProviderAdapter<typeof PROVIDER> {
  const client = createExamplePayClient({
    baseUrl: config.baseUrl,
    apiKey: config.apiKey,
    http: config.http ?? createHttpClient({ timeoutMs: config.timeoutMs }),
  });
  return defineAdapter({
    id: PROVIDER,
    currencies: ['USD'],
    capabilities: CAPABILITIES,
    methods: ['bank_account'],
    feeReserve: () => 100n,
    validate: validateExamplePayout,
    submit: async (payout) => toPayoutState(await client.createPayout(toCreatePayoutRequest(payout), payout.id)),
    lookupById: async (id) => toPayoutState(await client.getPayout(id)),
    async lookupByReference(payout) {
      const match = (await client.listByReference(referenceFor(payout))).find((p) => p.reference === payout.id);
      return match ? toPayoutState(match) : null;
    },
  });
}

export function validateExamplePayout(payout: CanonicalPayout): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (payout.amount < 1n) issues.push({ path: 'amount', message: 'must be at least 1 cent' });
  if (payout.currency !== 'USD') issues.push({ path: 'currency', message: 'Example Pay pays out USD only' });
  if (payout.method !== 'bank_account') issues.push({ path: 'method', message: 'must be bank_account' });
  if (!payout.beneficiary.account_number) issues.push({ path: 'beneficiary.account_number', message: 'is required' });
  return issues;
}
