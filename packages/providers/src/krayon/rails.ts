import type { Rails } from '../kit/index.ts';

/** Krayon pays by IMPS only, within the network's limit of ₹5,00,000 (paise here). */
export const KRAYON_RAILS: Rails = {
  IMPS: { max: 50_000_000n },
};
