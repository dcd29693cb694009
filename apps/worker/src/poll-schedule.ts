/**
 * Polling follows growing intervals per provider: quick at first (most payouts settle in seconds),
 * then slower, until the provider's deadline, after which the payout needs an operator.
 */
export interface PollSchedule {
  firstDelayMs: number;
  factor: number;
  maxDelayMs: number;
  /** Past this age (from acceptance) an unsettled payout goes to `needs_attention`. */
  deadlineMs: number;
  /** How long a `processed` payout is still looked at for a reversal (webhooks cover later ones). */
  reversalWatchMs: number;
}

export function pollDelay(schedule: PollSchedule, attempt: number): number {
  return Math.min(schedule.maxDelayMs, Math.round(schedule.firstDelayMs * schedule.factor ** attempt));
}
