import type { ProviderId } from '@payouts/core';

/**
 * One `POST /v1/payouts` body per provider that its sandbox accepts and pays, to copy and paste:
 * they are the document's examples (openapi.ts), the bodies in docs/providers.md, and a test posts
 * each one against the running system, so none of the three can drift from what really works.
 * Each meets its provider's own rules too (docs/providers.md): RazorpayX's purpose and IFSC,
 * Krayon's name, email, phone and address, the Thai gateway's bank code, DRUO's linked account.
 */
export const PROVIDER_EXAMPLES: Record<ProviderId, { summary: string; value: Record<string, unknown> }> = {
  razorpayx: {
    summary: 'RazorpayX: ₹500 by IMPS to an account and IFSC',
    value: {
      amount: 50_000,
      currency: 'INR',
      method: 'IMPS',
      purpose: 'payout',
      narration: 'Acme salary',
      reference_id: 'salary-2026-12-asha',
      beneficiary: { name: 'Asha Rao', account_number: '123456789012', bank_code: 'HDFC0001234' },
    },
  },
  krayon: {
    summary: 'Krayon: ₹500 by IMPS, with the contact details Krayon requires',
    value: {
      amount: 50_000,
      currency: 'INR',
      provider: 'krayon',
      method: 'IMPS',
      description: 'first payout for the organization',
      beneficiary: {
        name: 'Elon Mush',
        first_name: 'elon',
        last_name: 'mush',
        email: 'elon@example.com',
        phone: '919895270111',
        country: 'IN',
        account_number: '1111114242',
        bank_code: 'KKBK0000261',
        address: { line1: 'Address Line 1', country: 'IN' },
      },
    },
  },
  'thai-gateway': {
    summary: 'Thai gateway: ฿1,000 to a bank account (bank code 004)',
    value: {
      amount: 100_000,
      currency: 'THB',
      method: 'bank_account',
      description: 'Payout for order 12345',
      beneficiary: { name: 'John Doe', account_number: '1234564242', bank_code: '004' },
    },
  },
  druo: {
    summary: 'DRUO: $200 to a linked account',
    value: {
      amount: 20_000,
      currency: 'USD',
      method: 'bank_account',
      description: 'Insurance policy renewal',
      beneficiary: { provider_account_id: 'acc_b7c41206-afb4-4954-a15c-dbcd59354242' },
    },
  },
};
