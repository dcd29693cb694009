import type { Currency, FieldIssue } from '@payouts/core';
import {
  type Beneficiary,
  type BeneficiaryRegistrar,
  type CanonicalPayout,
  type Capability,
  createHttpClient,
  type HttpClient,
  type ProviderAdapter,
  type ProviderBalance,
  ProviderError,
  type ProviderListPage,
  type ProviderListQuery,
  type ProviderPayoutState,
} from '../contract/index.ts';
import { defineAdapter } from '../kit/index.ts';
import { createRazorpayxClient } from './client.ts';
import {
  idempotencyKeyFor,
  PAYOUT_ID_NOTE,
  referenceFor,
  toCreatePayoutRequest,
  toPayoutState,
} from './transformers.ts';
import { verifyRazorpayxWebhook } from './webhooks.ts';
import {
  createContactRequestSchema,
  createFundAccountRequestSchema,
  RAZORPAYX_LIMITS,
  RAZORPAYX_MODES,
  RAZORPAYX_PURPOSES,
  type RazorpayxPayout,
  updateContactRequestSchema,
} from './wire.ts';

export interface RazorpayxConfig {
  baseUrl: string;
  keyId: string;
  keySecret: string;
  /** Our RazorpayX business account ("Customer Identifier"), the source of every payout. */
  accountNumber: string;
  webhookSecret: string;
  timeoutMs: number;
  /** Injected in tests; defaults to got with retries off. */
  http?: HttpClient;
}

const PROVIDER = 'razorpayx';

/**
 * `list` is RazorpayX's `GET /v1/payouts` and `balance` its `GET /v1/banking_balances` (its public
 * API reference; the page shows only create).
 */
export const CAPABILITIES: ReadonlySet<Capability> = new Set<Capability>([
  'submit',
  'lookup_by_id',
  'lookup_by_reference',
  'cancel',
  'webhooks',
  'idempotent_submit',
  'list',
  'balance',
]);

/**
 * Held on top of the amount until the real fee is known. The largest fee RazorpayX charges for a
 * standard payout is ₹25 + 18% GST = 2950 paise; 3000 covers it with a margin.
 */
const INR_FEE_RESERVE = 3000n;

/** One notes slot is ours (`payout_id`), so clients get one fewer than RazorpayX's 15. */
const METADATA_MAX_KEYS = RAZORPAYX_LIMITS.notesMaxPairs - 1;

/** Composite payouts here are bank accounts only; these modes need a saved fund account. */
const MODES_NEEDING_FUND_ACCOUNT: ReadonlySet<string> = new Set(['UPI', 'card']);

/** List pages: RazorpayX's maximum `count`; a reference shared by more payouts is paged through. */
const LIST_PAGE_SIZE = 100;
/** A bound on paging, so a reference reused without end cannot keep a worker busy forever. */
const LIST_MAX_PAGES = 50;

export function createRazorpayxAdapter(config: RazorpayxConfig): ProviderAdapter<typeof PROVIDER> {
  const client = createRazorpayxClient({
    baseUrl: config.baseUrl,
    keyId: config.keyId,
    keySecret: config.keySecret,
    http: config.http ?? createHttpClient({ timeoutMs: config.timeoutMs }),
  });

  async function findByReference(payout: CanonicalPayout): Promise<RazorpayxPayout | null> {
    const reference = referenceFor(payout);
    for (let page = 0; page < LIST_MAX_PAGES; page++) {
      const { items } = await client.listPayouts({
        account_number: config.accountNumber,
        reference_id: reference,
        count: LIST_PAGE_SIZE,
        skip: page * LIST_PAGE_SIZE,
      });
      // A client's reference_id need not be unique; our payout id in the notes is. Its mode tells
      // a payout's provider attempts apart: a rail fallback (IMPS → NEFT) never repeats a mode.
      const match = items.find(
        (item) => item.notes?.[PAYOUT_ID_NOTE] === payout.id && (item.mode == null || item.mode === payout.method),
      );
      if (match) return match;
      // A short page is the last one; a page longer than asked means paging was ignored and
      // everything came at once. Either way nothing more exists: a confirmed absence.
      if (items.length !== LIST_PAGE_SIZE) return null;
    }
    // Not a confirmed absence: saying "not there" could lead to a second payout.
    throw new ProviderError('unavailable', `more than ${LIST_MAX_PAGES * LIST_PAGE_SIZE} payouts share reference`, {
      providerCode: 'REFERENCE_TOO_COMMON',
    });
  }

  /**
   * Saved beneficiaries are registered once: a contact (its `reference_id` is our `ben_…` id, its
   * type the beneficiary's), then a fund account per account. RazorpayX answers the existing
   * record when the same details are sent again, so repeating either call is safe.
   */
  const registrar: BeneficiaryRegistrar = {
    contact: ({ beneficiaryId, kind, beneficiary }) =>
      client.createContact(
        createContactRequestSchema.parse({
          name: beneficiary.name,
          ...(beneficiary.email ? { email: beneficiary.email } : {}),
          ...(beneficiary.phone ? { contact: beneficiary.phone } : {}),
          type: kind,
          reference_id: beneficiaryId,
        }),
      ),
    account: ({ contactId, beneficiary, method }) =>
      client.createFundAccount(
        createFundAccountRequestSchema.parse(
          method === 'UPI'
            ? { contact_id: contactId, account_type: 'vpa', vpa: { address: beneficiary.upi_address } }
            : {
                contact_id: contactId,
                account_type: 'bank_account',
                bank_account: {
                  name: beneficiary.name,
                  ifsc: beneficiary.bank_code,
                  account_number: beneficiary.account_number,
                },
              },
        ),
      ),
    updateContact: ({ contactId, kind, details }) =>
      client.updateContact(
        contactId,
        updateContactRequestSchema.parse({
          name: details.name,
          ...(details.email ? { email: details.email } : {}),
          ...(details.phone ? { contact: details.phone } : {}),
          type: kind,
        }),
      ),
  };

  return defineAdapter({
    id: PROVIDER,
    registrar,
    currencies: ['INR'],
    capabilities: CAPABILITIES,
    methods: RAZORPAYX_MODES,
    feeReserve({ currency }: { currency: Currency; amount: bigint }): bigint {
      if (currency !== 'INR') throw new RangeError(`${PROVIDER} pays out INR only, not ${currency}`);
      return INR_FEE_RESERVE;
    },
    validate: validateRazorpayxPayout,
    async submit(payout: CanonicalPayout): Promise<ProviderPayoutState> {
      const body = toCreatePayoutRequest(payout, config.accountNumber);
      return toPayoutState(await client.createPayout(body, idempotencyKeyFor(payout)));
    },
    async lookupById(providerPayoutId: string): Promise<ProviderPayoutState> {
      return toPayoutState(await client.getPayout(providerPayoutId));
    },
    async lookupByReference(payout: CanonicalPayout): Promise<ProviderPayoutState | null> {
      const found = await findByReference(payout);
      return found ? toPayoutState(found) : null;
    },
    async cancel(providerPayoutId: string): Promise<ProviderPayoutState> {
      return toPayoutState(await client.cancelPayout(providerPayoutId));
    },
    async list(query: ProviderListQuery): Promise<ProviderListPage> {
      const count = Math.min(query.count, LIST_PAGE_SIZE);
      const { items } = await client.listPayouts({
        account_number: config.accountNumber,
        ...(query.reference ? { reference_id: query.reference } : {}),
        // RazorpayX's window is unix seconds, both ends inclusive: widen to whole seconds.
        from: Math.floor(query.from / 1000),
        to: Math.ceil(query.to / 1000),
        count,
        skip: query.skip,
      });
      return { items: items.map(toPayoutState), hasMore: items.length >= count };
    },
    async getBalance(): Promise<ProviderBalance[]> {
      // The account payouts are made from (RAZORPAYX_ACCOUNT_NUMBER); the merchant's other accounts are not our float.
      const { items } = await client.getBankingBalances();
      return items
        .filter((b) => b.account_number === config.accountNumber && b.currency === 'INR')
        .map((b) => ({ currency: 'INR' as const, available: BigInt(b.available_amount ?? b.amount) }));
    },
    verifyWebhook(rawBody, headers) {
      return verifyRazorpayxWebhook(rawBody, headers, config.webhookSecret);
    },
  });
}

/**
 * RazorpayX's request rules (its page and public docs), reported against OUR canonical field paths so the
 * API can name the field the client sent. Pure; the order of issues follows the request.
 */
export function validateRazorpayxPayout(payout: CanonicalPayout): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const issue = (path: string, message: string) => issues.push({ path, message });

  if (payout.amount < BigInt(RAZORPAYX_LIMITS.minAmount)) {
    issue('amount', `must be at least ${RAZORPAYX_LIMITS.minAmount} paise`);
  } else if (payout.amount > BigInt(Number.MAX_SAFE_INTEGER)) {
    issue('amount', 'is too large');
  }
  if (payout.currency !== 'INR') issue('currency', 'RazorpayX pays out INR only');
  if (!(RAZORPAYX_MODES as readonly string[]).includes(payout.method)) {
    issue('method', `must be one of ${RAZORPAYX_MODES.join(', ')} (case-sensitive)`);
  }
  // Required (RazorpayX requires it; we no longer pick one for the client): a standard purpose, or
  // one the tenant created on its RazorpayX Dashboard and registered with us (`payout_purposes`).
  if (payout.purpose == null) {
    issue(
      'purpose',
      `is required by RazorpayX: one of ${RAZORPAYX_PURPOSES.join(', ')}, or one of your payout_purposes`,
    );
  } else if (!payout.purposeRegistered && !(RAZORPAYX_PURPOSES as readonly string[]).includes(payout.purpose)) {
    issue('purpose', `must be one of ${RAZORPAYX_PURPOSES.join(', ')}, or one of your payout_purposes`);
  }
  if (payout.narration != null) {
    const { narrationMaxLength, narrationPattern } = RAZORPAYX_LIMITS;
    if (payout.narration.length === 0 || payout.narration.length > narrationMaxLength) {
      issue('narration', `must be 1 to ${narrationMaxLength} characters`);
    } else if (!narrationPattern.test(payout.narration)) {
      issue('narration', 'may contain only letters, digits and spaces');
    }
  }
  if (payout.referenceId != null) {
    const max = RAZORPAYX_LIMITS.referenceIdMaxLength;
    if (payout.referenceId.length === 0 || payout.referenceId.length > max) {
      issue('reference_id', `must be 1 to ${max} characters`);
    }
  }
  validateMetadata(payout.metadata, issue);
  validateBeneficiary(payout, issue);
  return issues;
}

function validateMetadata(metadata: CanonicalPayout['metadata'], issue: (path: string, message: string) => void): void {
  if (metadata == null) return;
  const entries = Object.entries(metadata);
  if (entries.length > METADATA_MAX_KEYS) issue('metadata', `at most ${METADATA_MAX_KEYS} keys`);
  for (const [key, value] of entries) {
    if (key === PAYOUT_ID_NOTE) {
      issue(`metadata.${key}`, 'is reserved (it carries our payout id to RazorpayX)');
    } else if (typeof value !== 'string') {
      issue(`metadata.${key}`, 'must be a string');
    } else if (value.length > RAZORPAYX_LIMITS.noteValueMaxLength) {
      issue(`metadata.${key}`, `must be at most ${RAZORPAYX_LIMITS.noteValueMaxLength} characters`);
    }
  }
}

function validateBeneficiary(payout: CanonicalPayout, issue: (path: string, message: string) => void): void {
  const { beneficiary } = payout;
  if (beneficiary.provider_account_id) return;
  // A saved beneficiary is registered (contact, then fund account) before it is paid: a UPI
  // address becomes a `vpa` fund account. An inline one is a composite payout, bank accounts only.
  const saved = payout.beneficiaryId != null;
  if (saved && payout.method === 'UPI') {
    if (!beneficiary.upi_address) issue('beneficiary.upi_address', 'is required for UPI payouts through RazorpayX');
    validateContactName(beneficiary, issue);
    return;
  }
  if (MODES_NEEDING_FUND_ACCOUNT.has(payout.method)) {
    issue('beneficiary.provider_account_id', `${payout.method} payouts need a RazorpayX fund account id`);
    return;
  }
  validateContactName(beneficiary, issue);
  if (!beneficiary.account_number) {
    issue('beneficiary.account_number', 'is required without provider_account_id');
  } else if (!RAZORPAYX_LIMITS.accountNumberPattern.test(beneficiary.account_number)) {
    issue('beneficiary.account_number', 'must be 5 to 35 letters or digits for RazorpayX');
  }
  if (!beneficiary.bank_code) {
    issue('beneficiary.bank_code', 'an IFSC is required without provider_account_id');
  } else if (!RAZORPAYX_LIMITS.ifscPattern.test(beneficiary.bank_code)) {
    issue('beneficiary.bank_code', 'must be an IFSC (4 letters, 0, 6 letters or digits)');
  }
}

/** The contact RazorpayX is given (name, phone), and the account holder's name: its Contacts page's rules. */
function validateContactName(beneficiary: Beneficiary, issue: (path: string, message: string) => void): void {
  const { contactNameMinLength: min, contactNameMaxLength: max, namePattern, nameEndingPattern } = RAZORPAYX_LIMITS;
  const { name, phone } = beneficiary;
  if (phone && phone.length > RAZORPAYX_LIMITS.contactPhoneMaxLength) {
    issue(
      'beneficiary.phone',
      `must be at most ${RAZORPAYX_LIMITS.contactPhoneMaxLength} characters (+ included) for RazorpayX`,
    );
  }
  if (!name) issue('beneficiary.name', 'is required without provider_account_id');
  else if (name.length < min || name.length > max)
    issue('beneficiary.name', `must be ${min} to ${max} characters for RazorpayX`);
  else if (!namePattern.test(name)) {
    issue('beneficiary.name', "may contain only letters, digits, spaces and ' ’ - _ / ( ) , . for RazorpayX");
  } else if (!nameEndingPattern.test(name)) {
    issue('beneficiary.name', 'must not end with a symbol other than . for RazorpayX');
  }
}
