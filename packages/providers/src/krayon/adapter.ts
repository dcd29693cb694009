import type { Currency, FieldIssue } from '@payouts/core';
import {
  type CanonicalPayout,
  type Capability,
  createHttpClient,
  type FeeMode,
  type HttpClient,
  type ProviderAdapter,
  ProviderError,
  type ProviderPayoutState,
} from '../contract/index.ts';
import { defineAdapter } from '../kit/index.ts';
import { createKrayonClient } from './client.ts';
import { referenceFor, toCreateWithdrawalRequest, toPayoutState } from './transformers.ts';
import { isKrayonBankCode, KRAYON_LIMITS, KRAYON_PAYMENT_METHODS } from './wire.ts';

export interface KrayonConfig {
  /** Up to, not including, `/main/api/v1/deposits`; the sandbox's is `http://127.0.0.1:3100/krayon`. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <apiToken>`. */
  apiToken: string;
  timeoutMs: number;
  /** Injected in tests; defaults to got with retries off. */
  http?: HttpClient;
  /**
   * `KRAYON_FEE_MODE`: whether Krayon charges `payment_fee` on top of the amount (the default) or
   * deducts it from the amount. The page shows the fee but not which; the ledger and the sandbox
   * follow this setting, and every answer's amount is checked against the payout either way.
   */
  feeMode?: FeeMode;
}

const PROVIDER = 'krayon';

/**
 * No `idempotent_submit`: the page documents no idempotency key, so the engine looks a payout up
 * by reference before any resubmission (our reference is our payout id, unique at Krayon). No
 * `cancel`, `webhooks` (the response's `webhook_url` is empty and no format is documented) or
 * `balance`: nothing on the page.
 */
export const CAPABILITIES: ReadonlySet<Capability> = new Set<Capability>([
  'submit',
  'lookup_by_id',
  'lookup_by_reference',
]);

/**
 * Held on top of the amount until the real fee is known. The page shows `payment_fee` but no fee
 * schedule; the sandbox charges a flat ₹5 (500 paise). 1000 paise covers that twice over.
 */
const INR_FEE_RESERVE = 1000n;

export function createKrayonAdapter(config: KrayonConfig): ProviderAdapter<typeof PROVIDER> {
  const client = createKrayonClient({
    baseUrl: config.baseUrl,
    apiToken: config.apiToken,
    http: config.http ?? createHttpClient({ timeoutMs: config.timeoutMs }),
  });

  return defineAdapter({
    id: PROVIDER,
    currencies: ['INR'],
    capabilities: CAPABILITIES,
    methods: KRAYON_PAYMENT_METHODS,
    feeMode: config.feeMode ?? 'on_top',
    feeReserve({ currency }: { currency: Currency; amount: bigint }): bigint {
      if (currency !== 'INR') throw new RangeError(`${PROVIDER} pays out INR only, not ${currency}`);
      // A fee taken out of the amount needs nothing held besides it.
      return config.feeMode === 'deducted' ? 0n : INR_FEE_RESERVE;
    },
    validate: validateKrayonPayout,
    async submit(payout: CanonicalPayout): Promise<ProviderPayoutState> {
      return toPayoutState(await client.createWithdrawal(toCreateWithdrawalRequest(payout)));
    },
    async lookupById(providerPayoutId: string): Promise<ProviderPayoutState> {
      return toPayoutState(await client.getDeposit(providerPayoutId));
    },
    async lookupByReference(payout: CanonicalPayout): Promise<ProviderPayoutState | null> {
      const reference = referenceFor(payout);
      const items = await client.listDepositsByReference(reference);
      // An empty list is a confirmed absence (assumed): nothing with our payout id exists.
      if (items.length === 0) return null;
      const match = items.find((item) => item.reference_id === reference);
      if (match) return toPayoutState(match);
      // Items, none ours: the filter was ignored, so this list proves nothing about our payout.
      // Saying "not there" could lead to a second withdrawal.
      throw new ProviderError(
        'unavailable',
        `Krayon listed ${items.length} deposits, none with reference ${reference}`,
        {
          providerCode: 'REFERENCE_FILTER_IGNORED',
        },
      );
    },
  });
}

/**
 * Krayon's request rules (its page and ASSUMPTIONS.md), reported against OUR canonical
 * field paths so the API can name the field the client sent. Pure; the order of issues follows
 * the request.
 */
export function validateKrayonPayout(payout: CanonicalPayout): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const issue = (path: string, message: string) => issues.push({ path, message });

  if (payout.amount < BigInt(KRAYON_LIMITS.minAmount)) {
    issue('amount', `must be at least ${KRAYON_LIMITS.minAmount} paise (₹1)`);
  } else if (payout.amount > BigInt(Number.MAX_SAFE_INTEGER)) {
    issue('amount', 'is too large');
  }
  if (payout.currency !== 'INR') issue('currency', 'Krayon pays out INR only');
  if (!(KRAYON_PAYMENT_METHODS as readonly string[]).includes(payout.method)) {
    issue('method', `must be one of ${KRAYON_PAYMENT_METHODS.join(', ')} (case-sensitive)`);
  }
  // `description` is sent from our description, or else our narration: blame the one used.
  const [descriptionPath, description] =
    payout.description != null ? ['description', payout.description] : ['narration', payout.narration];
  if (description != null && description.length > KRAYON_LIMITS.descriptionMaxLength) {
    issue(descriptionPath, `must be at most ${KRAYON_LIMITS.descriptionMaxLength} characters`);
  }
  validateBeneficiary(payout, issue);
  return issues;
}

function validateBeneficiary(payout: CanonicalPayout, issue: (path: string, message: string) => void): void {
  const { beneficiary } = payout;
  const required = (path: string, value: string | undefined) => {
    if (!value) issue(`beneficiary.${path}`, 'is required by Krayon');
    return Boolean(value);
  };
  const matching = (path: string, value: string | undefined, pattern: RegExp, what: string) => {
    if (value != null && !pattern.test(value)) issue(`beneficiary.${path}`, `must be ${what}`);
  };
  const country = 'a two-letter country code in capitals (ISO 3166-1)';

  // In the order of the request: customer, billing_address, additional_parameters.
  matching('country', beneficiary.country, KRAYON_LIMITS.countryPattern, country);
  if (required('email', beneficiary.email)) {
    matching('email', beneficiary.email, KRAYON_LIMITS.emailPattern, 'an email address');
  }
  required('first_name', beneficiary.first_name);
  required('last_name', beneficiary.last_name);
  if (required('phone', beneficiary.phone)) {
    matching('phone', beneficiary.phone, KRAYON_LIMITS.phonePattern, '10 to 15 digits, country code included');
  }
  required('account_number', beneficiary.account_number);
  matching('address.country', beneficiary.address?.country, KRAYON_LIMITS.countryPattern, country);
  required('address.line1', beneficiary.address?.line1);
  if (required('bank_code', beneficiary.bank_code) && !isKrayonBankCode(beneficiary.bank_code ?? '')) {
    issue('beneficiary.bank_code', 'must be an IFSC (4 letters, 0, 6 letters or digits) or 4 letters and 7-8 more');
  }
}
