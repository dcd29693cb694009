/** Provider ids are part of the public API (`provider` on a payout). */
export const PROVIDER_IDS = ['razorpayx', 'krayon', 'thai-gateway', 'druo'] as const;
export type ProviderId = (typeof PROVIDER_IDS)[number];

export function isProviderId(value: unknown): value is ProviderId {
  return typeof value === 'string' && (PROVIDER_IDS as readonly string[]).includes(value);
}
