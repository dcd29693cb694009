import type { Currency, FieldIssue } from '@payouts/core';
import {
  type CanonicalPayout,
  type Capability,
  createHttpClient,
  type HttpClient,
  type ProviderAdapter,
  ProviderError,
  type ProviderPayoutState,
} from '../contract/index.ts';
import { defineAdapter } from '../kit/index.ts';
import { createDruoClient } from './client.ts';
import { isDeclinedForFunds, referenceFor, toCreatePayoutRequest, toPayoutState } from './transformers.ts';
import { DRUO_CURRENCIES, DRUO_LIMITS, DRUO_METHODS, type DruoPayout } from './wire.ts';

export interface DruoConfig {
  baseUrl: string;
  /** Sent as `Authorization: Bearer <accessToken>`. */
  accessToken: string;
  /** DRUO's originator tenant (`ten_…`), a merchant setting sent as `tenant_id`: not our tenant. */
  tenantId: string;
  timeoutMs: number;
  /** Injected in tests; defaults to got with retries off. */
  http?: HttpClient;
}

const PROVIDER = 'druo';

/**
 * The page documents no idempotency key, so no `idempotent_submit`: the engine looks a payout up
 * by reference before any resubmission. No webhooks, cancel or balance endpoint is documented.
 */
export const CAPABILITIES: ReadonlySet<Capability> = new Set<Capability>([
  'submit',
  'lookup_by_id',
  'lookup_by_reference',
]);

/**
 * Held on top of the amount until the real fee is known. The page's example charges a 2% variable
 * fee (amount 20000, variable_fee 400, fixed_fee 0); we hold 2% rounded up plus 100 minor units
 * ($1 / COP 1) in case DRUO adds a fixed fee.
 */
const VARIABLE_FEE_PERCENT = 2n;
const FIXED_FEE_MARGIN = 100n;

export function createDruoAdapter(config: DruoConfig): ProviderAdapter<typeof PROVIDER> {
  const client = createDruoClient({
    baseUrl: config.baseUrl,
    accessToken: config.accessToken,
    http: config.http ?? createHttpClient({ timeoutMs: config.timeoutMs }),
  });

  /**
   * Our payout's live transaction at DRUO, or null for a confirmed absence. Transactions DECLINED
   * for insufficient funds are skipped: they never paid and never will, so a payout whose only
   * transactions are such declines is safe to submit again (ASSUMPTIONS.md). The list is newest
   * first; the reference filter is checked again in case DRUO ignores it.
   */
  async function findByReference(payout: CanonicalPayout): Promise<DruoPayout | null> {
    const reference = referenceFor(payout);
    const { payouts } = await client.listPayouts({ primary_reference: reference });
    return payouts.find((p) => p.primary_reference === reference && !isDeclinedForFunds(p)) ?? null;
  }

  return defineAdapter({
    id: PROVIDER,
    currencies: DRUO_CURRENCIES,
    capabilities: CAPABILITIES,
    methods: DRUO_METHODS,
    feeReserve({ currency, amount }: { currency: Currency; amount: bigint }): bigint {
      if (!isDruoCurrency(currency)) throw new RangeError(`${PROVIDER} pays out USD and COP only, not ${currency}`);
      const variable = (amount * VARIABLE_FEE_PERCENT + 99n) / 100n;
      return variable + FIXED_FEE_MARGIN;
    },
    validate: validateDruoPayout,
    async submit(payout: CanonicalPayout): Promise<ProviderPayoutState> {
      const wire = await client.createPayout(toCreatePayoutRequest(payout, config.tenantId));
      if (isDeclinedForFunds(wire)) {
        // DRUO answers low funds with a transaction already DECLINED (HTTP 200), not an error.
        // Reporting it as low balance makes the engine park the payout instead of failing it;
        // the declined transaction is ignored by lookupByReference, so the later resubmission
        // cannot pay twice.
        throw new ProviderError('insufficient_balance', `DRUO declined ${wire.uuid}: insufficient funds`, {
          providerCode: 'INSUFFICIENT_FUNDS',
          httpStatus: 200,
        });
      }
      return toPayoutState(wire);
    },
    async lookupById(providerPayoutId: string): Promise<ProviderPayoutState> {
      return toPayoutState(await client.getPayout(providerPayoutId));
    },
    async lookupByReference(payout: CanonicalPayout): Promise<ProviderPayoutState | null> {
      const found = await findByReference(payout);
      return found ? toPayoutState(found) : null;
    },
  });
}

function isDruoCurrency(currency: string): boolean {
  return (DRUO_CURRENCIES as readonly string[]).includes(currency);
}

/**
 * DRUO's request rules (its page, ASSUMPTIONS.md), reported against OUR canonical field paths so
 * the API can name the field the client sent. Pure; the order of issues follows the request.
 */
export function validateDruoPayout(payout: CanonicalPayout): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const issue = (path: string, message: string) => issues.push({ path, message });

  if (payout.amount < BigInt(DRUO_LIMITS.minAmount)) {
    issue('amount', `must be at least ${DRUO_LIMITS.minAmount} (minor units)`);
  } else if (payout.amount > BigInt(Number.MAX_SAFE_INTEGER)) {
    issue('amount', 'is too large');
  }
  if (!isDruoCurrency(payout.currency)) issue('currency', `DRUO pays out ${DRUO_CURRENCIES.join(' and ')} only`);
  if (!(DRUO_METHODS as readonly string[]).includes(payout.method)) {
    issue('method', `must be ${DRUO_METHODS.join(', ')}: DRUO pays to pre-registered accounts`);
  }
  const account = payout.beneficiary.provider_account_id;
  if (!account) {
    issue('beneficiary.provider_account_id', 'a pre-registered DRUO account id (acc_…) is required');
  } else if (!DRUO_LIMITS.accountIdPattern.test(account)) {
    issue('beneficiary.provider_account_id', 'must be a DRUO account id: acc_ then up to 64 letters, digits or -');
  }
  // DRUO has one `description`; without one, the narration is sent in its place.
  const max = DRUO_LIMITS.descriptionMaxLength;
  if (payout.description != null) {
    if (payout.description.length > max) issue('description', `must be at most ${max} characters`);
  } else if (payout.narration != null && payout.narration.length > max) {
    issue('narration', `must be at most ${max} characters (it is sent as DRUO's description)`);
  }
  if (payout.referenceId != null) {
    const refMax = DRUO_LIMITS.referenceMaxLength;
    if (payout.referenceId.length === 0 || payout.referenceId.length > refMax) {
      issue('reference_id', `must be 1 to ${refMax} characters`);
    }
  }
  validateMetadata(payout.metadata, issue);
  return issues;
}

function validateMetadata(metadata: CanonicalPayout['metadata'], issue: (path: string, message: string) => void): void {
  if (metadata == null) return;
  const entries = Object.entries(metadata);
  const { metadataMaxKeys, metadataKeyMaxLength, metadataValueMaxLength } = DRUO_LIMITS;
  if (entries.length > metadataMaxKeys) issue('metadata', `at most ${metadataMaxKeys} keys`);
  for (const [key, value] of entries) {
    if (key.length === 0 || key.length > metadataKeyMaxLength) {
      issue(`metadata.${key}`, `key names must be 1 to ${metadataKeyMaxLength} characters`);
    } else if (typeof value !== 'string') {
      issue(`metadata.${key}`, 'must be a string');
    } else if (value.length > metadataValueMaxLength) {
      issue(`metadata.${key}`, `must be at most ${metadataValueMaxLength} characters`);
    }
  }
}
