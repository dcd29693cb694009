import { createErrorTranslator } from '../kit/index.ts';
import { errorResponseSchema } from './wire.ts';

/** DRUO answers → ProviderError kinds, from DRUO's `error` object (format assumed, ASSUMPTIONS.md). */

/**
 * An error answer saying our balance cannot fund the payout. DRUO documents a DECLINED transaction
 * for this (handled in the adapter); an error answer with the same code means no transaction at
 * all, which is read the same way.
 */
const INSUFFICIENT_FUNDS_CODES: ReadonlySet<string> = new Set(['INSUFFICIENT_FUNDS', 'INSUFFICCIENT_FUNDS']);

const METADATA_KEY_FIELD = /^metadata\.[^.]+$/;

export const { readAnswer, canonicalField } = createErrorTranslator({
  name: 'DRUO',
  read: (body) => {
    const parsed = errorResponseSchema.safeParse(body);
    return parsed.success ? parsed.data.error : null;
  },
  /**
   * `secondary_reference` carries the client's `reference_id`; `primary_reference` is our payout id
   * and `tenant_id` a merchant setting, neither the client's, so they map to nothing.
   */
  fields: {
    amount: 'amount',
    currency: 'currency',
    destination_account_id: 'beneficiary.provider_account_id',
    secondary_reference: 'reference_id',
    description: 'description',
    metadata: 'metadata',
  },
  // A metadata key is the client's own word, already a canonical path (`metadata.order_id`).
  otherField: (wireField) => (METADATA_KEY_FIELD.test(wireField) ? wireField : null),
  // 401 (shared): a missing or wrong token, or a missing or unsupported DRUO-Version; 403: not allowed.
  first: [({ httpStatus }) => (httpStatus === 403 ? 'auth' : null)],
  rules: [({ code }) => (code && INSUFFICIENT_FUNDS_CODES.has(code) ? 'insufficient_balance' : null)],
});
