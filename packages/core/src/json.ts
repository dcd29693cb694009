/** JSON with sorted keys, so two equal objects always hash the same (idempotency fingerprints). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

/** Masks an account number the way providers show it: first four, stars, last four. */
export function maskAccountNumber(value: string | null | undefined): string | null {
  if (value == null) return null;
  if (value.length <= 8) return `${'*'.repeat(Math.max(0, value.length - 4))}${value.slice(-4)}`;
  return `${value.slice(0, 4)}****${value.slice(-4)}`;
}
