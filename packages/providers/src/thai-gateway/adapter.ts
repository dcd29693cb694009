import type { Currency, FieldIssue } from '@payouts/core';
import {
  type CanonicalPayout,
  type Capability,
  createHttpClient,
  type HttpClient,
  type ProviderAdapter,
  type ProviderPayoutState,
} from '../contract/index.ts';
import { defineAdapter } from '../kit/index.ts';
import { createThaiGatewayClient } from './client.ts';
import {
  descriptionOf,
  REFERENCE_METADATA_KEY,
  referenceFor,
  type ThaiGatewayAmountUnit,
  toCreateWithdrawRequest,
  toPayoutState,
} from './transformers.ts';
import { verifyThaiGatewayWebhook } from './webhooks.ts';
import { THAI_GATEWAY_DESTINATION_TYPES, THAI_GATEWAY_LIMITS } from './wire.ts';

export interface ThaiGatewayConfig {
  baseUrl: string;
  apiKey: string;
  /** Signs every request and, by assumption, every webhook (ASSUMPTIONS.md). */
  apiSecret: string;
  timeoutMs: number;
  /** Injected in tests; defaults to got with retries off. */
  http?: HttpClient;
  /** Milliseconds since the epoch, for `X-Timestamp` and the webhook replay window. */
  now?: () => number;
  /** How the gateway's amount string reads (`THAI_GATEWAY_AMOUNT_UNIT`, transformers.ts); baht by default. */
  amountUnit?: ThaiGatewayAmountUnit;
}

const PROVIDER = 'thai-gateway';

/**
 * No `cancel` and no `balance`: the page documents neither endpoint. `idempotent_submit` is
 * documented (`idempotencyKey`, and `referenceId` is unique per merchant).
 */
export const CAPABILITIES: ReadonlySet<Capability> = new Set<Capability>([
  'submit',
  'lookup_by_id',
  'lookup_by_reference',
  'webhooks',
  'idempotent_submit',
]);

export function createThaiGatewayAdapter(config: ThaiGatewayConfig): ProviderAdapter<typeof PROVIDER> {
  const now = config.now ?? Date.now;
  const unit = config.amountUnit ?? 'baht';
  const client = createThaiGatewayClient({
    baseUrl: config.baseUrl,
    apiKey: config.apiKey,
    apiSecret: config.apiSecret,
    http: config.http ?? createHttpClient({ timeoutMs: config.timeoutMs }),
    now,
  });

  return defineAdapter({
    id: PROVIDER,
    currencies: ['THB'],
    capabilities: CAPABILITIES,
    methods: THAI_GATEWAY_DESTINATION_TYPES,
    feeReserve({ currency }: { currency: Currency; amount: bigint }): bigint {
      if (currency !== 'THB') throw new RangeError(`${PROVIDER} pays out THB only, not ${currency}`);
      // The page documents no fee and the withdraw object carries none: nothing to hold.
      return 0n;
    },
    validate: validateThaiGatewayPayout,
    async submit(payout: CanonicalPayout): Promise<ProviderPayoutState> {
      return toPayoutState(await client.createWithdraw(toCreateWithdrawRequest(payout, unit)), unit);
    },
    async lookupById(providerPayoutId: string): Promise<ProviderPayoutState> {
      return toPayoutState(await client.getWithdraw(providerPayoutId), unit);
    },
    async lookupByReference(payout: CanonicalPayout): Promise<ProviderPayoutState | null> {
      const reference = referenceFor(payout);
      // `referenceId` is unique per merchant, so at most one matches; the filter guards against a
      // server that ignores the query and lists everything.
      const found = (await client.listWithdraws({ referenceId: reference })).find((w) => w.referenceId === reference);
      return found ? toPayoutState(found, unit) : null;
    },
    verifyWebhook(rawBody, headers) {
      return verifyThaiGatewayWebhook(rawBody, headers, config.apiSecret, now(), unit);
    },
  });
}

/**
 * The gateway's request rules (its page, ASSUMPTIONS.md), reported against OUR canonical field paths so
 * the API can name the field the client sent. Pure; the order of issues follows the request.
 */
export function validateThaiGatewayPayout(payout: CanonicalPayout): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const issue = (path: string, message: string) => issues.push({ path, message });
  const { beneficiary } = payout;
  const limits = THAI_GATEWAY_LIMITS;

  if (payout.amount <= 0n) issue('amount', 'must be greater than 0');
  if (payout.currency !== 'THB') issue('currency', 'the Thai gateway pays out THB only');
  if (!(THAI_GATEWAY_DESTINATION_TYPES as readonly string[]).includes(payout.method)) {
    issue('method', `must be one of ${THAI_GATEWAY_DESTINATION_TYPES.join(', ')}`);
  }
  if (!beneficiary.name) issue('beneficiary.name', 'is required');
  else if (beneficiary.name.length > limits.nameMaxLength) {
    issue('beneficiary.name', `must be at most ${limits.nameMaxLength} characters`);
  }
  if (!beneficiary.account_number) issue('beneficiary.account_number', 'is required');
  else if (!limits.accountNumberPattern.test(beneficiary.account_number)) {
    issue('beneficiary.account_number', 'must be 6 to 20 digits');
  }
  if (!beneficiary.bank_code) issue('beneficiary.bank_code', 'a 3-digit Thai bank code is required');
  else if (!limits.bankCodePattern.test(beneficiary.bank_code)) {
    issue('beneficiary.bank_code', 'must be a 3-digit Thai bank code (e.g. 004 for KBANK)');
  }
  // `description` on the wire is the description, else the narration: blame the one sent.
  const description = descriptionOf(payout);
  if (description != null && description.length > limits.descriptionMaxLength) {
    issue(
      payout.description != null ? 'description' : 'narration',
      `must be at most ${limits.descriptionMaxLength} characters`,
    );
  }
  for (const [key, value] of Object.entries(payout.metadata ?? {})) {
    if (key === REFERENCE_METADATA_KEY) {
      issue(`metadata.${key}`, 'is reserved (it carries reference_id to the Thai gateway)');
    } else if (typeof value !== 'string') {
      issue(`metadata.${key}`, 'must be a string');
    }
  }
  return issues;
}
