import { createErrorTranslator } from '../kit/index.ts';
import { errorResponseSchema } from './wire.ts';

/**
 * Krayon answers → ProviderError kinds. The error object's format is not on the page:
 * `{error: {code, message, field}}` is assumed (ASSUMPTIONS.md), and the sandbox answers exactly that.
 */

export const KRAYON_ERROR_CODES = {
  validation: 'VALIDATION_ERROR',
  unauthorized: 'UNAUTHORIZED',
  notFound: 'NOT_FOUND',
  duplicateReference: 'DUPLICATE_REFERENCE_ID',
  insufficientBalance: 'INSUFFICIENT_BALANCE',
} as const;

export const { readAnswer, canonicalField } = createErrorTranslator({
  name: 'Krayon',
  read: (body) => {
    const parsed = errorResponseSchema.safeParse(body);
    return parsed.success ? parsed.data.error : null;
  },
  /**
   * Fields we fill ourselves (`reference_id`, `customer.reference_id`: our payout id; `type`) map to
   * nothing: the client sent nothing there. `description` may have come from our `narration`; it is
   * reported as `description`.
   */
  fields: {
    amount: 'amount',
    currency: 'currency',
    description: 'description',
    payment_method: 'method',
    'customer.country_code': 'beneficiary.country',
    'customer.email': 'beneficiary.email',
    'customer.first_name': 'beneficiary.first_name',
    'customer.last_name': 'beneficiary.last_name',
    'customer.phone': 'beneficiary.phone',
    'customer.account_number': 'beneficiary.account_number',
    'billing_address.country_code': 'beneficiary.address.country',
    'billing_address.address_line1': 'beneficiary.address.line1',
    'additional_parameters.bank_code': 'beneficiary.bank_code',
    'additional_parameters.bank_name': 'beneficiary.bank_name',
  },
  first: [({ code }) => (code === KRAYON_ERROR_CODES.unauthorized ? 'auth' : null)],
  rules: [
    // Our reference is our payout id, so "taken" means this payout exists there already: look it
    // up. Any 409 on a create is read the same way, code or not: failing a payout that may exist
    // could pay twice once replayed; a lookup settles it either way.
    ({ code, httpStatus }, ctx) =>
      code === KRAYON_ERROR_CODES.duplicateReference || (httpStatus === 409 && ctx.method !== 'GET')
        ? 'duplicate'
        : null,
    ({ code }) => (code === KRAYON_ERROR_CODES.insufficientBalance ? 'insufficient_balance' : null),
  ],
});
