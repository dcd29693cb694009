/** What the chaos run (and the multi-process scale test) posts: one payout body per provider's shape. */
import { must } from '@payouts/testing';

export const PROVIDERS = ['razorpayx', 'krayon', 'thai-gateway', 'druo'] as const;
export type Provider = (typeof PROVIDERS)[number];
export const CURRENCIES = ['INR', 'THB', 'USD', 'COP'] as const;

const randomInt = (min: number, maxExclusive: number) => min + Math.floor(Math.random() * (maxExclusive - min));

export interface PlannedPayout {
  index: number;
  provider: Provider;
  currency: string;
  amount: number;
  idempotencyKey: string;
  body: Record<string, unknown>;
}

function accountEnding(failShare: number, reverseShare: number): string {
  const r = Math.random();
  if (r < failShare) return '0001';
  if (r < failShare + reverseShare) return '0002';
  return String(randomInt(1000, 10_000)); // never 0001–0003
}

export function planPayout(index: number, runId: string, failShare: number, reverseShare: number): PlannedPayout {
  const provider = must(PROVIDERS[index % PROVIDERS.length], `the provider of payout #${index}`);
  const account = accountEnding(failShare, reverseShare);
  let body: Record<string, unknown>;
  switch (provider) {
    case 'razorpayx':
      body = {
        amount: randomInt(100, 2_000_000),
        currency: 'INR',
        method: 'IMPS',
        purpose: 'payout',
        narration: 'Chaos payout',
        beneficiary: { name: 'Asha Rao', account_number: `12345678${account}`, bank_code: 'HDFC0001234' },
      };
      break;
    case 'krayon':
      body = {
        amount: randomInt(100, 2_000_000),
        currency: 'INR',
        provider: 'krayon',
        method: 'IMPS',
        description: 'chaos payout',
        beneficiary: {
          name: 'Elon Mush',
          first_name: 'elon',
          last_name: 'mush',
          email: 'elon@example.com',
          phone: '919895270111',
          country: 'IN',
          account_number: `111111${account}`,
          bank_code: 'KKBK0000261',
          address: { line1: 'Address Line 1', country: 'IN' },
        },
      };
      break;
    case 'thai-gateway':
      body = {
        amount: randomInt(100, 5_000_000),
        currency: 'THB',
        method: 'bank_account',
        description: 'Chaos payout',
        beneficiary: { name: 'John Doe', account_number: `123456${account}`, bank_code: '004' },
      };
      break;
    case 'druo': {
      const cop = Math.floor(index / PROVIDERS.length) % 2 === 1;
      body = {
        amount: cop ? randomInt(1_000, 50_000_000) : randomInt(100, 500_000),
        currency: cop ? 'COP' : 'USD',
        method: 'bank_account',
        description: 'Chaos payout',
        beneficiary: { provider_account_id: `acc_b7c41206-afb4-4954-a15c-dbcd5935${account}` },
      };
      break;
    }
  }
  return {
    index,
    provider,
    currency: body.currency as string,
    amount: body.amount as number,
    idempotencyKey: `chaos-${runId}-${index}`,
    body,
  };
}

/** A planned payout the API accepted, with the id it returned. */
export interface AcceptedPayout {
  id: string;
  plan: PlannedPayout;
}
