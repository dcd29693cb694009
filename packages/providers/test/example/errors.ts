import { createErrorTranslator } from '../../src/kit/index.ts';
import { errorResponseSchema } from './wire.ts';

export const { readAnswer } = createErrorTranslator({
  name: 'Example Pay',
  read: (body) => {
    const parsed = errorResponseSchema.safeParse(body);
    return parsed.success ? parsed.data.error : null;
  },
  fields: { amount: 'amount', currency: 'currency', account: 'beneficiary.account_number' },
  rules: [
    ({ code }) => (code === 'DUPLICATE_REFERENCE' ? 'duplicate' : null),
    ({ code }) => (code === 'NO_FUNDS' ? 'insufficient_balance' : null),
  ],
});
