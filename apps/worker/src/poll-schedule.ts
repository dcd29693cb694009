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
  /**
   * How long a payout must have been `unknown` or `submitted` before a lookup that finds nothing
   * counts as the provider never having it (`ABSENCE_AFTER_MS`), which lets it be sent again. A
   * provider may still be working through a create we stopped waiting for, and answer "not found"
   * until it gets to it: an overloaded sandbox did exactly that, and a payout was paid twice at a
   * provider without idempotent creates (DRUO), because one look right after the timeout was taken
   * as the answer.
   */
  absenceAfterMs: number;
}

export function pollDelay(schedule: PollSchedule, attempt: number): number {
  return Math.min(schedule.maxDelayMs, Math.round(schedule.firstDelayMs * schedule.factor ** attempt));
}

/**
 * Polling as a safety net where the provider sends webhooks: while its webhooks flow (one arrived
 * within `quietMs`), payouts in flight are looked at only every `safetyPollMs` (and not at all
 * once they changed more recently than that), and processed payouts are not watched for a
 * reversal by polling (the provider's `reversed` webhook tells). When none has arrived for
 * `quietMs`, the normal schedule resumes at each payout's next look.
 */
export interface WebhookPolling {
  quietMs: number;
  safetyPollMs: number;
  /** How long the webhooks of a provider that lists are gathered before one list call confirms them. */
  confirmWindowMs: number;
}
