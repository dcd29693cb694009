import type { Currency, FieldIssue, ProviderId } from '@payouts/core';
import {
  type BeneficiaryRegistrar,
  type CanonicalPayout,
  type Capability,
  type FeeMode,
  type ProviderAdapter,
  type ProviderBalance,
  ProviderError,
  type ProviderListPage,
  type ProviderListQuery,
  type ProviderPayoutState,
  type ProviderWebhookEvent,
  unsupported,
} from '../contract/index.ts';

/**
 * What a provider folder writes: what it is, its rules, and the calls it can make. The calls for
 * capabilities it does not declare are left out; the base answers `unsupported` for them.
 */
export interface AdapterSpec<Id extends string = ProviderId> {
  readonly id: Id;
  readonly currencies: readonly Currency[];
  readonly capabilities: ReadonlySet<Capability>;
  readonly methods: readonly string[];
  /** Where the provider takes its fee; on top of the amount when not said. */
  readonly feeMode?: FeeMode;
  feeReserve(payout: { currency: Currency; amount: bigint }): bigint;
  validate(payout: CanonicalPayout): FieldIssue[];
  /** Only ever called with a payout `validate` found nothing wrong with. */
  submit(payout: CanonicalPayout): Promise<ProviderPayoutState>;
  lookupById?(providerPayoutId: string): Promise<ProviderPayoutState>;
  lookupByReference?(payout: CanonicalPayout): Promise<ProviderPayoutState | null>;
  cancel?(providerPayoutId: string): Promise<ProviderPayoutState>;
  verifyWebhook?(rawBody: Buffer, headers: Record<string, string | string[] | undefined>): ProviderWebhookEvent;
  getBalance?(): Promise<ProviderBalance[]>;
  list?(query: ProviderListQuery): Promise<ProviderListPage>;
  readonly registrar?: BeneficiaryRegistrar;
}

/** The call each optional capability needs. */
const CALLS = {
  lookup_by_id: 'lookupById',
  lookup_by_reference: 'lookupByReference',
  cancel: 'cancel',
  webhooks: 'verifyWebhook',
  balance: 'getBalance',
  list: 'list',
} as const satisfies Partial<Record<Capability, keyof AdapterSpec>>;

/**
 * An adapter from its spec. The capability list is the truth: a call for a capability not
 * declared answers `unsupported` (the engine plans around it), even if the spec has one, and a
 * declared capability without its call is a bug caught when the adapter is built.
 */
export function defineAdapter<Id extends string>(spec: AdapterSpec<Id>): ProviderAdapter<Id> {
  const has = (capability: Capability) => spec.capabilities.has(capability);
  for (const [capability, call] of Object.entries(CALLS)) {
    if (has(capability as Capability) && !spec[call]) {
      throw new Error(`${spec.id} declares ${capability} but has no ${call}`);
    }
  }
  const missing = (capability: Capability) => unsupported(spec.id, capability);

  return {
    id: spec.id,
    currencies: spec.currencies,
    capabilities: spec.capabilities,
    methods: spec.methods,
    feeMode: spec.feeMode ?? 'on_top',
    feeReserve: (payout) => spec.feeReserve(payout),
    validate: (payout) => spec.validate(payout),
    async submit(payout) {
      // The API validates at ingestion; checking again here keeps an invalid payout (a replay of
      // old data, a rule changed since) from ever reaching the provider.
      const issues = spec.validate(payout);
      const first = issues[0];
      if (first) {
        throw new ProviderError('invalid_request', issues.map((i) => `${i.path}: ${i.message}`).join('; '), {
          providerCode: 'VALIDATION_FAILED',
          field: first.path,
        });
      }
      return spec.submit(payout);
    },
    async lookupById(providerPayoutId) {
      if (!has('lookup_by_id') || !spec.lookupById) throw missing('lookup_by_id');
      return spec.lookupById(providerPayoutId);
    },
    async lookupByReference(payout) {
      if (!has('lookup_by_reference') || !spec.lookupByReference) throw missing('lookup_by_reference');
      return spec.lookupByReference(payout);
    },
    async cancel(providerPayoutId) {
      if (!has('cancel') || !spec.cancel) throw missing('cancel');
      return spec.cancel(providerPayoutId);
    },
    verifyWebhook(rawBody, headers) {
      if (!has('webhooks') || !spec.verifyWebhook) throw missing('webhooks');
      return spec.verifyWebhook(rawBody, headers);
    },
    async getBalance() {
      if (!has('balance') || !spec.getBalance) throw missing('balance');
      return spec.getBalance();
    },
    async list(query) {
      if (!has('list') || !spec.list) throw missing('list');
      return spec.list(query);
    },
    ...(spec.registrar ? { registrar: spec.registrar } : {}),
  };
}
