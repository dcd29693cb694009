import { createErrorTranslator } from '../kit/index.ts';
import { errorResponseSchema } from './wire.ts';

/**
 * Thai gateway answers → ProviderError kinds, from the gateway's own `error.code` (the page's table),
 * with the HTTP status as a fallback where the page gives none.
 */
export const { readAnswer, canonicalField } = createErrorTranslator({
  name: 'Thai gateway',
  read: (body) => {
    const parsed = errorResponseSchema.safeParse(body);
    if (!parsed.success) return null;
    const { code, message, metadata } = parsed.data.error;
    return { code, message: message ?? null, reason: null, field: metadata?.field ?? null };
  },
  fields: {
    amount: 'amount',
    currency: 'currency',
    referenceId: 'reference_id',
    destinationType: 'method',
    customerBankAccountName: 'beneficiary.name',
    customerBankAccountNumber: 'beneficiary.account_number',
    customerBankCode: 'beneficiary.bank_code',
    description: 'description',
    metadata: 'metadata',
  },
  // For an answer that leaves `metadata.field` out: the codes that name their field themselves.
  fieldOfCode: (code) => {
    if (code === 'INVALID_AMOUNT') return 'amount';
    if (code === 'INVALID_BANK_CODE') return 'beneficiary.bank_code';
    return null;
  },
  first: [
    ({ code, httpStatus }) => (code === 'INVALID_CREDENTIALS' || httpStatus === 401 ? 'auth' : null),
    // A 404 on a create or a list is a wrong URL (our configuration), not a missing withdraw.
    ({ code, httpStatus }, ctx) =>
      code === 'NOT_FOUND' || httpStatus === 404 ? (ctx.lookup ? 'not_found' : 'invalid_request') : null,
  ],
  rules: [
    ({ code }) => (code === 'INSUFFICIENT_BALANCE' ? 'insufficient_balance' : null),
    // The reference is our payout id: on a retry this means "it exists already": look it up, don't fail it.
    ({ code }) => (code === 'DUPLICATE_REFERENCE_ID' ? { kind: 'duplicate', field: 'reference_id' } : null),
    // VALIDATION_ERROR, INVALID_AMOUNT, INVALID_BANK_CODE and anything else: the fallback, an invalid request.
  ],
});
