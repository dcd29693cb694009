/** The payout batch objects as the API answers them (docs/batches.md), as far as the CLI reads them. */

export interface RowError {
  row: number;
  field: string;
  message: string;
}

export interface Batch {
  id: string;
  object: 'payout_batch';
  mode: string;
  on_insufficient_funds: string;
  source: string;
  rows: { total: number; accepted: number; rejected: number };
  totals: { currency: string; provider: string; count: number; amount: number }[];
  created_at: string;
}

/** The upload's answer: the batch, and its refused rows (accept_valid; the first 1,000). */
export interface BatchCreated extends Batch {
  errors: RowError[];
}

/** GET /v1/payout-batches/{id}. */
export interface BatchStatus extends Batch {
  status: 'processing' | 'completed';
  counts: Record<string, number>;
  amounts: Record<string, Record<string, number>>;
  progress: { final: number; total: number; percent: number };
  completed_at: string | null;
  elapsed_ms: number;
}
