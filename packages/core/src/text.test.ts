import { describe, expect, test } from 'vitest';
import { LONE_SURROGATE_MESSAGE, NUL_MESSAGE, storableText, unstorableText } from './text.ts';

describe('text Postgres cannot store', () => {
  test.each([
    ['Evil\ud800Corp', LONE_SURROGATE_MESSAGE],
    ['\udc00', LONE_SURROGATE_MESSAGE],
    ['ends high \ud83d', LONE_SURROGATE_MESSAGE],
    ['low first \ude00\ud83d', LONE_SURROGATE_MESSAGE],
    ['a\u0000b', NUL_MESSAGE],
  ])('%j is refused', (value, message) => {
    expect(unstorableText(value)).toBe(message);
  });

  test.each(['', 'Asha Rao', '😀 a pair', 'é\u202e', '\ufffd', '\ud83d\ude00\ud83d\ude00'])('%j is stored', (value) => {
    expect(unstorableText(value)).toBeNull();
  });

  test('what cannot be stored is quoted back as U+FFFD, pairs kept', () => {
    expect(storableText('a\ud800b\u0000c😀')).toBe('a\ufffdb\ufffdc😀');
  });
});
