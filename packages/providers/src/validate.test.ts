import type { Currency } from '@payouts/core';
import { describe, expect, it } from 'vitest';
import { pagePayout as druoPage } from '../test/druo/fixtures.ts';
import { pagePayout as krayonPage } from '../test/krayon/fixtures.ts';
import { pagePayout as razorpayxPage } from '../test/razorpayx/fixtures.ts';
import { pagePayout as thaiPage } from '../test/thai-gateway/fixtures.ts';
import type { Beneficiary, CanonicalPayout, FieldIssue } from './contract/index.ts';
import { validateDruoPayout } from './druo/adapter.ts';
import { validateKrayonPayout } from './krayon/adapter.ts';
import { validateRazorpayxPayout } from './razorpayx/adapter.ts';
import { validateThaiGatewayPayout } from './thai-gateway/adapter.ts';

/*
 * Each adapter checks a payout against its provider's rules before sending it, naming canonical
 * paths. The suite is the same for every provider; the rules are a table per provider: each row a
 * change to the page's example payout and the paths it must be blamed on (none: accepted).
 */

type Overrides = Partial<CanonicalPayout>;
type Row = readonly [Overrides, readonly string[]];

interface ProviderRules {
  readonly name: string;
  validate(payout: CanonicalPayout): FieldIssue[];
  pagePayout(overrides?: Overrides): CanonicalPayout;
  /** Rule → its rows. */
  readonly rules: ReadonlyArray<readonly [string, readonly Row[]]>;
  /** A payout breaking many rules, and every path blamed, in order. */
  readonly everything: Row;
}

const ok = (overrides: Overrides): Row => [overrides, []];
const bad = (overrides: Overrides, ...paths: string[]): Row => [overrides, paths];
const keys = (n: number, value = 'v') => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, value]));
const UNSAFE = BigInt(Number.MAX_SAFE_INTEGER) + 1n;
const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

const druo: ProviderRules = {
  name: 'DRUO',
  validate: validateDruoPayout,
  pagePayout: druoPage,
  rules: [
    [
      'accepts one with every optional field',
      [
        ok({
          currency: 'COP',
          description: 'Insurance policy renewal - INV12324',
          referenceId: 'bj39fhow39fhqp3f0hfae4344',
          metadata: { order_id: '6735' },
        }),
      ],
    ],
    [
      'amount: at least 1 minor unit',
      [ok({ amount: 1n }), bad({ amount: 0n }, 'amount'), bad({ amount: -5n }, 'amount')],
    ],
    ['amount: a safe integer', [ok({ amount: SAFE }), bad({ amount: UNSAFE }, 'amount')]],
    [
      'currency: USD or COP',
      [
        ok({ currency: 'USD' }),
        ok({ currency: 'COP' }),
        bad({ currency: 'INR' }, 'currency'),
        bad({ currency: 'usd' as Currency }, 'currency'),
      ],
    ],
    [
      'method: bank_account only (DRUO pays to pre-registered accounts)',
      ['IMPS', 'wallet', 'card', 'BANK_ACCOUNT', ''].map((method) => bad({ method }, 'method')),
    ],
    [
      'beneficiary.provider_account_id: required',
      [
        bad({ beneficiary: {} }, 'beneficiary.provider_account_id'),
        bad({ beneficiary: { provider_account_id: '' } }, 'beneficiary.provider_account_id'),
        bad({ beneficiary: { account_number: '123456789', name: 'Ana' } }, 'beneficiary.provider_account_id'),
      ],
    ],
    [
      'beneficiary.provider_account_id: acc_ then 1 to 64 letters, digits or dashes',
      [
        ...['acc_7985e8a4-8f38-4eab-8b27-a5d1c6dbf340', 'acc_1', `acc_${'a'.repeat(64)}`, 'acc_ABC-0001'].map((id) =>
          ok({ beneficiary: { provider_account_id: id } }),
        ),
        ...['acc_', `acc_${'a'.repeat(65)}`, 'fa_00000000000001', 'ACC_123', 'acc_12 34', 'acc_x/../y'].map((id) =>
          bad({ beneficiary: { provider_account_id: id } }, 'beneficiary.provider_account_id'),
        ),
      ],
    ],
    [
      'description: at most 255 characters',
      [ok({ description: 'd'.repeat(255) }), bad({ description: 'd'.repeat(256) }, 'description')],
    ],
    [
      'narration: checked as the description it becomes, only when there is no description',
      [
        ok({ narration: 'n'.repeat(255) }),
        bad({ narration: 'n'.repeat(256) }, 'narration'),
        ok({ narration: 'n'.repeat(256), description: 'short' }),
      ],
    ],
    [
      'reference_id: 1 to 40 characters (it becomes secondary_reference)',
      [
        ok({ referenceId: 'r'.repeat(40) }),
        bad({ referenceId: 'r'.repeat(41) }, 'reference_id'),
        bad({ referenceId: '' }, 'reference_id'),
      ],
    ],
    [
      'metadata: at most 50 keys',
      [ok({ metadata: keys(50) }), bad({ metadata: keys(51) }, 'metadata'), ok({ metadata: {} })],
    ],
    [
      'metadata: key names of 1 to 40 characters',
      [
        ok({ metadata: { ['k'.repeat(40)]: 'v' } }),
        bad({ metadata: { ['k'.repeat(41)]: 'v' } }, `metadata.${'k'.repeat(41)}`),
        bad({ metadata: { '': 'v' } }, 'metadata.'),
      ],
    ],
    [
      'metadata: string values of at most 500 characters',
      [
        ok({ metadata: { order_id: 'v'.repeat(500) } }),
        bad({ metadata: { order_id: 'v'.repeat(501) } }, 'metadata.order_id'),
        bad({ metadata: { order_id: 6735 as unknown as string } }, 'metadata.order_id'),
      ],
    ],
  ],
  everything: bad(
    {
      amount: 0n,
      currency: 'THB',
      method: 'IMPS',
      beneficiary: {},
      description: 'd'.repeat(256),
      referenceId: 'r'.repeat(41),
      metadata: { ...keys(51), ['k'.repeat(41)]: 'v' },
    },
    'amount',
    'currency',
    'method',
    'beneficiary.provider_account_id',
    'description',
    'reference_id',
    'metadata',
    `metadata.${'k'.repeat(41)}`,
  ),
};

/** Krayon's rules are mostly about the beneficiary: a change to the page's beneficiary. */
const krayonBeneficiary = (patch: Partial<Beneficiary>): Overrides => ({
  beneficiary: { ...krayonPage().beneficiary, ...patch },
});
const krayon: ProviderRules = {
  name: 'Krayon',
  validate: validateKrayonPayout,
  pagePayout: krayonPage,
  rules: [
    [
      'amount: at least 100 paise (₹1, assumed)',
      [
        bad({ amount: 99n }, 'amount'),
        bad({ amount: 0n }, 'amount'),
        bad({ amount: -100n }, 'amount'),
        ok({ amount: 100n }),
      ],
    ],
    [
      'amount: within the safe integer range the sandbox and ledger count in',
      [ok({ amount: SAFE }), bad({ amount: UNSAFE }, 'amount')],
    ],
    ['currency: INR only', [bad({ currency: 'USD' as Currency }, 'currency')]],
    [
      'method: IMPS only, case-sensitive',
      ['NEFT', 'RTGS', 'UPI', 'imps', 'bank_account'].map((method) => bad({ method }, 'method')),
    ],
    [
      'description: at most 255 characters, blamed on description, or on narration when it stood in',
      [
        ok({ description: 'd'.repeat(255) }),
        bad({ description: 'd'.repeat(256) }, 'description'),
        bad({ description: null, narration: 'n'.repeat(256) }, 'narration'),
        ok({ description: 'short', narration: 'n'.repeat(256) }),
        ok({ description: null, narration: null }),
      ],
    ],
    ...(['email', 'first_name', 'last_name', 'phone', 'account_number', 'bank_code'] as const).map(
      (field) =>
        [
          `beneficiary.${field}: required`,
          [
            bad(krayonBeneficiary({ [field]: undefined }), `beneficiary.${field}`),
            bad(krayonBeneficiary({ [field]: '' }), `beneficiary.${field}`),
          ],
        ] as const,
    ),
    [
      'beneficiary.address.line1: required',
      [
        bad(krayonBeneficiary({ address: undefined }), 'beneficiary.address.line1'),
        bad(krayonBeneficiary({ address: { line1: '' } }), 'beneficiary.address.line1'),
      ],
    ],
    [
      'beneficiary.email: an email address',
      [
        ok(krayonBeneficiary({ email: 'a.b@example.co.in' })),
        ...['[email protected]', 'elon', 'elon@', 'elon@example', 'el on@example.com'].map((email) =>
          bad(krayonBeneficiary({ email }), 'beneficiary.email'),
        ),
      ],
    ],
    [
      'beneficiary.phone: 10 to 15 digits',
      [
        ...['9895270111', '919895270111', '123456789012345'].map((phone) => ok(krayonBeneficiary({ phone }))),
        ...['989527011', '1234567890123456', '+919895270111', '98952 70111'].map((phone) =>
          bad(krayonBeneficiary({ phone }), 'beneficiary.phone'),
        ),
      ],
    ],
    [
      "beneficiary.bank_code: an IFSC, or the page's 12-character form",
      [
        ...['KKBK0000958', 'HDFC0ABC123', 'KKBK00000000', 'KKBK1234567'].map((bank_code) =>
          ok(krayonBeneficiary({ bank_code })),
        ),
        ...['kkbk0000958', 'KKBK000095', 'KKBK000000000', '1234KKBK000', 'KKBK-000958'].map((bank_code) =>
          bad(krayonBeneficiary({ bank_code }), 'beneficiary.bank_code'),
        ),
      ],
    ],
    [
      'beneficiary.country and address.country: two capital letters when given (IN when absent)',
      [
        ok(krayonBeneficiary({ country: undefined, address: { line1: 'L1' } })),
        bad(krayonBeneficiary({ country: 'in' }), 'beneficiary.country'),
        bad(krayonBeneficiary({ country: 'IND' }), 'beneficiary.country'),
        bad(krayonBeneficiary({ address: { line1: 'L1', country: 'India' } }), 'beneficiary.address.country'),
      ],
    ],
    [
      'optional beneficiary fields are not required',
      [ok(krayonBeneficiary({ bank_name: undefined, name: undefined, provider_account_id: undefined }))],
    ],
  ],
  everything: bad(
    {
      amount: 1n,
      currency: 'THB' as Currency,
      method: 'UPI',
      description: 'd'.repeat(300),
      beneficiary: { country: 'india' },
    },
    'amount',
    'currency',
    'method',
    'description',
    'beneficiary.country',
    'beneficiary.email',
    'beneficiary.first_name',
    'beneficiary.last_name',
    'beneficiary.phone',
    'beneficiary.account_number',
    'beneficiary.address.line1',
    'beneficiary.bank_code',
  ),
};

/** A composite (bank account) beneficiary, instead of the page's fund account id. */
const razorpayxBank = { name: 'Gaurav Kumar', account_number: '1121431121541121', bank_code: 'HDFC0000053' };
const razorpayx: ProviderRules = {
  name: 'RazorpayX',
  validate: validateRazorpayxPayout,
  pagePayout: razorpayxPage,
  rules: [
    ['accepts a composite bank-account payout', [ok({ method: 'IMPS', beneficiary: razorpayxBank })]],
    [
      'amount: at least 100 paise',
      [bad({ amount: 99n }, 'amount'), bad({ amount: 0n }, 'amount'), ok({ amount: 100n })],
    ],
    ['amount: a safe integer', [ok({ amount: SAFE }), bad({ amount: UNSAFE }, 'amount')]],
    ['currency: INR only', [bad({ currency: 'USD' as Currency }, 'currency')]],
    [
      'method: one of the modes, case-sensitive',
      [
        ...['NEFT', 'RTGS', 'IMPS', 'UPI', 'card'].map((method) => ok({ method })),
        bad({ method: 'imps', beneficiary: razorpayxBank }, 'method'),
        bad({ method: 'CARD' }, 'method'),
        bad({ method: 'bank_account' }, 'method'),
      ],
    ],
    [
      'purpose: required, one of the defaults or one the tenant registered',
      [
        ...['refund', 'cashback', 'payout', 'salary', 'utility bill', 'vendor bill'].map((purpose) => ok({ purpose })),
        bad({ purpose: null }, 'purpose'),
        bad({ purpose: 'gift' }, 'purpose'),
        bad({ purpose: 'Refund' }, 'purpose'),
        ok({ purpose: 'gift', purposeRegistered: true }),
      ],
    ],
    [
      'beneficiary.name: a RazorpayX contact name (3 to 50 of its characters, no trailing symbol but .)',
      [
        ok({ method: 'IMPS', beneficiary: { ...razorpayxBank, name: 'Abc' } }),
        ok({ method: 'IMPS', beneficiary: { ...razorpayxBank, name: `${'a'.repeat(49)}.` } }),
        ok({ method: 'IMPS', beneficiary: { ...razorpayxBank, name: "Rao, Asha (O'Neil) s/o R_K-1" } }),
        bad({ method: 'IMPS', beneficiary: { ...razorpayxBank, name: 'Ab' } }, 'beneficiary.name'),
        bad({ method: 'IMPS', beneficiary: { ...razorpayxBank, name: 'a'.repeat(51) } }, 'beneficiary.name'),
        bad({ method: 'IMPS', beneficiary: { ...razorpayxBank, name: 'José Ramos' } }, 'beneficiary.name'),
        bad({ method: 'IMPS', beneficiary: { ...razorpayxBank, name: 'Asha Rao-' } }, 'beneficiary.name'),
      ],
    ],
    [
      'beneficiary.account_number: 5 to 35 letters or digits',
      [
        ok({ method: 'IMPS', beneficiary: { ...razorpayxBank, account_number: '12345' } }),
        ok({ method: 'IMPS', beneficiary: { ...razorpayxBank, account_number: '1'.repeat(35) } }),
        bad(
          { method: 'IMPS', beneficiary: { ...razorpayxBank, account_number: '1234' } },
          'beneficiary.account_number',
        ),
        bad(
          { method: 'IMPS', beneficiary: { ...razorpayxBank, account_number: '1'.repeat(36) } },
          'beneficiary.account_number',
        ),
      ],
    ],
    [
      'a saved beneficiary is paid by UPI to its UPI address (registered as a vpa fund account)',
      [
        ok({ method: 'UPI', beneficiaryId: 'ben_1', beneficiary: { name: 'Asha Rao', upi_address: 'asha@okicici' } }),
        bad({ method: 'UPI', beneficiaryId: 'ben_1', beneficiary: { name: 'Asha Rao' } }, 'beneficiary.upi_address'),
        bad(
          { method: 'UPI', beneficiary: { name: 'Asha Rao', upi_address: 'asha@okicici' } },
          'beneficiary.provider_account_id',
        ),
      ],
    ],
    [
      'narration: 1 to 30 letters, digits and spaces',
      [
        ok({ narration: 'a'.repeat(30) }),
        bad({ narration: 'a'.repeat(31) }, 'narration'),
        bad({ narration: 'Acme Corp. Fund-Transfer' }, 'narration'),
        bad({ narration: 'Tea, Earl Grey' }, 'narration'),
        bad({ narration: '' }, 'narration'),
      ],
    ],
    [
      'reference_id: at most 40 characters',
      [
        ok({ referenceId: 'r'.repeat(40) }),
        bad({ referenceId: 'r'.repeat(41) }, 'reference_id'),
        bad({ referenceId: '' }, 'reference_id'),
      ],
    ],
    [
      'metadata: at most 14 keys (one of the 15 notes is ours)',
      [ok({ metadata: keys(14) }), bad({ metadata: keys(15) }, 'metadata')],
    ],
    [
      'metadata: string values of at most 256 characters',
      [
        ok({ metadata: { k: 'v'.repeat(256) } }),
        bad({ metadata: { k: 'v'.repeat(257) } }, 'metadata.k'),
        bad({ metadata: { k: 5 as unknown as string } }, 'metadata.k'),
      ],
    ],
    [
      'metadata: payout_id is reserved for our payout id',
      [bad({ metadata: { payout_id: 'x' } }, 'metadata.payout_id')],
    ],
    [
      'beneficiary: name, account number and IFSC without a fund account id',
      [
        bad(
          { method: 'NEFT', beneficiary: {} },
          'beneficiary.name',
          'beneficiary.account_number',
          'beneficiary.bank_code',
        ),
        bad({ method: 'NEFT', beneficiary: { ...razorpayxBank, name: '' } }, 'beneficiary.name'),
      ],
    ],
    [
      'beneficiary.bank_code: an IFSC',
      [
        ...['HDFC0000053', 'SBIN0ABC123'].map((bank_code) =>
          ok({ method: 'RTGS', beneficiary: { ...razorpayxBank, bank_code } }),
        ),
        ...['hdfc0000053', 'HDFC1000053', 'HDFC000005', 'HDFC00000533', '004'].map((bank_code) =>
          bad({ method: 'RTGS', beneficiary: { ...razorpayxBank, bank_code } }, 'beneficiary.bank_code'),
        ),
      ],
    ],
    [
      'UPI and card need a fund account id (composite payouts are bank accounts only)',
      [
        bad({ method: 'UPI', beneficiary: razorpayxBank }, 'beneficiary.provider_account_id'),
        bad({ method: 'card', beneficiary: razorpayxBank }, 'beneficiary.provider_account_id'),
        ok({ method: 'UPI', beneficiary: { provider_account_id: 'fa_00000000000002' } }),
      ],
    ],
  ],
  everything: bad(
    { amount: 1n, method: 'SWIFT', purpose: 'gift', narration: 'x!', referenceId: 'r'.repeat(41) },
    'amount',
    'method',
    'purpose',
    'narration',
    'reference_id',
  ),
};

/** The page's beneficiary, so a row changes one field of it. */
const thaiBank = { name: 'John Doe', account_number: '1234567890', bank_code: '004' };
const thaiBeneficiary = (patch: Partial<Beneficiary>): Overrides => ({ beneficiary: { ...thaiBank, ...patch } });
const thaiGateway: ProviderRules = {
  name: 'Thai gateway',
  validate: validateThaiGatewayPayout,
  pagePayout: thaiPage,
  rules: [
    ['amount: greater than 0', [bad({ amount: 0n }, 'amount'), bad({ amount: -1n }, 'amount'), ok({ amount: 1n })]],
    [
      'currency: THB only',
      [bad({ currency: 'INR' as Currency }, 'currency'), bad({ currency: 'USD' as Currency }, 'currency')],
    ],
    [
      'method: bank_account or wallet',
      [
        ok({ method: 'bank_account' }),
        ok({ method: 'wallet' }),
        ...['IMPS', 'Bank_Account', 'card', ''].map((method) => bad({ method }, 'method')),
      ],
    ],
    [
      'beneficiary.name: required, at most 255 characters',
      [
        bad(thaiBeneficiary({ name: undefined }), 'beneficiary.name'),
        bad(thaiBeneficiary({ name: '' }), 'beneficiary.name'),
        ok(thaiBeneficiary({ name: 'n'.repeat(255) })),
        bad(thaiBeneficiary({ name: 'n'.repeat(256) }), 'beneficiary.name'),
      ],
    ],
    [
      'beneficiary.account_number: required, 6 to 20 digits',
      [
        ...['123456', '12345678901234567890', '0812345678'].map((account_number) =>
          ok(thaiBeneficiary({ account_number })),
        ),
        ...[undefined, '', '12345', '123456789012345678901', '123-456-7890', 'AB12345678'].map((account_number) =>
          bad(thaiBeneficiary({ account_number }), 'beneficiary.account_number'),
        ),
      ],
    ],
    [
      'beneficiary.bank_code: required, exactly 3 digits (INVALID_BANK_CODE)',
      [
        ...['004', '014', '002'].map((bank_code) => ok(thaiBeneficiary({ bank_code }))),
        ...[undefined, '', '4', '04', '0004', 'KBK', 'HDFC0000053'].map((bank_code) =>
          bad(thaiBeneficiary({ bank_code }), 'beneficiary.bank_code'),
        ),
      ],
    ],
    [
      'description: at most 255 characters; a narration standing in for it is blamed as narration',
      [
        ok({ description: 'd'.repeat(255) }),
        bad({ description: 'd'.repeat(256) }, 'description'),
        bad({ description: null, narration: 'n'.repeat(256) }, 'narration'),
        // The narration is not sent when a description is, so its length does not matter then.
        ok({ description: 'd', narration: 'n'.repeat(256) }),
      ],
    ],
    [
      'metadata: string values; reference_id is reserved for our reference',
      [
        ok({ metadata: { a: 'b' } }),
        bad({ metadata: { reference_id: 'x' } }, 'metadata.reference_id'),
        bad({ metadata: { n: 5 as unknown as string } }, 'metadata.n'),
      ],
    ],
  ],
  everything: bad(
    { amount: 0n, currency: 'INR' as Currency, method: 'UPI', beneficiary: {} },
    'amount',
    'currency',
    'method',
    'beneficiary.name',
    'beneficiary.account_number',
    'beneficiary.bank_code',
  ),
};

describe.each([druo, krayon, razorpayx, thaiGateway].map((provider) => [provider.name, provider] as const))(
  'validate (%s rules, canonical paths)',
  (_name, provider) => {
    const paths = (overrides: Overrides) => provider.validate(provider.pagePayout(overrides)).map((i) => i.path);

    it("accepts the page's example payout", () => {
      expect(provider.validate(provider.pagePayout())).toEqual([]);
    });

    it.each(provider.rules)('%s', (_rule, rows) => {
      for (const [overrides, expected] of rows) expect(paths(overrides)).toEqual(expected);
    });

    it('reports every broken rule at once, in request order, each with a message', () => {
      const [overrides, expected] = provider.everything;
      const issues = provider.validate(provider.pagePayout(overrides));
      expect(issues.map((i) => i.path)).toEqual(expected);
      for (const issue of issues) expect(issue.message).not.toBe('');
    });
  },
);
