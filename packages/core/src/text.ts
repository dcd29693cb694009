/**
 * Text Postgres cannot store. `text` and `jsonb` refuse U+0000, and `jsonb` refuses a UTF-16
 * surrogate that is not half of a pair (JSON may escape one as `\ud800`; JavaScript strings hold
 * it; UTF-8 cannot encode it, so a `text` column would silently store U+FFFD instead). Such a
 * string is the caller's mistake, refused naming its field before anything is written.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export const NUL_MESSAGE = 'must not contain NUL (U+0000) characters';
export const LONE_SURROGATE_MESSAGE = 'must not contain a lone UTF-16 surrogate (U+D800–U+DFFF outside a pair)';

/** Why `value` cannot be stored, or null when it can. */
export function unstorableText(value: string): string | null {
  if (value.includes('\u0000')) return NUL_MESSAGE;
  if (LONE_SURROGATE.test(value)) return LONE_SURROGATE_MESSAGE;
  return null;
}

/** The same text with what cannot be stored replaced by U+FFFD, to quote it back safely. */
export function storableText(value: string): string {
  return value.replace(new RegExp(`\u0000|${LONE_SURROGATE.source}`, 'g'), '\uFFFD');
}
