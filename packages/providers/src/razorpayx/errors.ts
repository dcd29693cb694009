import { createErrorTranslator } from '../kit/index.ts';
import { errorResponseSchema } from './wire.ts';

/** RazorpayX answers → ProviderError kinds, from RazorpayX's own `error` object. */
export const { readAnswer, canonicalField } = createErrorTranslator({
  name: 'RazorpayX',
  read: (body) => {
    const parsed = errorResponseSchema.safeParse(body);
    if (!parsed.success) return null;
    const { code, description, reason, field } = parsed.data.error;
    return { code, message: description ?? null, reason: reason ?? null, field: field ?? null };
  },
  /** Fields that are not the payout's (our `account_number`) map to nothing. */
  fields: {
    amount: 'amount',
    currency: 'currency',
    mode: 'method',
    purpose: 'purpose',
    narration: 'narration',
    reference_id: 'reference_id',
    notes: 'metadata',
    fund_account_id: 'beneficiary.provider_account_id',
    'fund_account.bank_account.ifsc': 'beneficiary.bank_code',
    'fund_account.bank_account.account_number': 'beneficiary.account_number',
    'fund_account.bank_account.name': 'beneficiary.name',
    'fund_account.contact.name': 'beneficiary.name',
    'fund_account.contact.email': 'beneficiary.email',
    'fund_account.contact.contact': 'beneficiary.phone',
    // A saved beneficiary's registration: its contact, then its fund account.
    name: 'beneficiary.name',
    email: 'beneficiary.email',
    contact: 'beneficiary.phone',
    'bank_account.name': 'beneficiary.name',
    'bank_account.ifsc': 'beneficiary.bank_code',
    'bank_account.account_number': 'beneficiary.account_number',
    'vpa.address': 'beneficiary.upi_address',
  },
  rules: [
    ({ reason }) => (reason === 'insufficient_balance' ? 'insufficient_balance' : null),
    // `account_number` is our RazorpayX business account (RAZORPAYX_ACCOUNT_NUMBER), never the
    // payout's: refused, it is our configuration that is wrong, not the payout.
    ({ field }) => (field === 'account_number' ? { kind: 'auth', providerCode: 'ACCOUNT_MISCONFIGURED' } : null),
    // Same X-Payout-Idempotency key with a different body: our bug or a replay with changed data;
    // the first payout stands, so this one must not be retried as is.
    ({ reason }) =>
      reason === 'idempotency_conflict' ? { kind: 'invalid_request', providerCode: 'IDEMPOTENCY_CONFLICT' } : null,
  ],
});
