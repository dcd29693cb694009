import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { CanonicalPayout, Capability } from '../contract/index.ts';
import { defineAdapter } from './adapter.ts';
import { defineProvider } from './registration.ts';

/* The kit's own refusals: mistakes in a provider folder are caught when it is built, not in production. */

const payout: CanonicalPayout = {
  id: 'po_1',
  amount: 100n,
  currency: 'USD',
  method: 'bank_account',
  beneficiary: {},
  queueIfLowBalance: false,
  idempotencyKey: 'po_1',
};

const spec = (capabilities: Capability[]) => ({
  id: 'kit-test' as const,
  currencies: ['USD'] as const,
  capabilities: new Set<Capability>(capabilities),
  methods: ['bank_account'],
  feeReserve: () => 0n,
  validate: () => [],
  submit: async () => ({ providerPayoutId: 'p_1', outcome: 'processing' as const, rawStatus: 'pending' }),
});

describe('defineAdapter', () => {
  it('refuses a declared capability without its call', () => {
    expect(() => defineAdapter(spec(['submit', 'cancel']))).toThrow('kit-test declares cancel but has no cancel');
    expect(() => defineAdapter(spec(['submit', 'webhooks']))).toThrow('declares webhooks but has no verifyWebhook');
  });

  it('answers unsupported for a call it has but does not declare: the capability list is the truth', async () => {
    const adapter = defineAdapter({ ...spec(['submit']), getBalance: async () => [] });
    await expect(adapter.getBalance()).rejects.toMatchObject({ kind: 'unsupported' });
    expect(await adapter.submit(payout)).toMatchObject({ providerPayoutId: 'p_1' });
  });
});

describe('defineProvider', () => {
  const provider = (env: Record<string, z.ZodType>) => () =>
    defineProvider({
      id: 'kit-test',
      capabilities: new Set<Capability>(['submit']),
      env: () => env,
      settings: () => ({}),
      create: () => defineAdapter(spec(['submit'])),
      worker: { concurrency: 1, ratePerSecond: 1 },
    });

  it('refuses variables without its base URL or its prefix: they would silently keep their defaults', () => {
    expect(provider({ KIT_TEST_TOKEN: z.string() })).toThrow('must include KIT_TEST_BASE_URL');
    expect(provider({ KIT_TEST_BASE_URL: z.string(), TOKEN: z.string() })).toThrow('all start with KIT_TEST_');
    expect(provider({ KIT_TEST_BASE_URL: z.string(), KIT_TEST_TOKEN: z.string() })).not.toThrow();
  });
});
