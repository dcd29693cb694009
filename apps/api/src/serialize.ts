/**
 * The public payout object lives in @payouts/db (beside its row), so the reconciler's outbound
 * webhooks serialize with exactly the code the API answers with; re-exported here for the routes.
 */
export { payoutResource } from '@payouts/db';
