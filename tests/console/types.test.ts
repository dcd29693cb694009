import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { CONSOLE_TYPES, consoleTypes } from '../../scripts/console-types.ts';

describe("the console's API types", () => {
  test('are generated from the OpenAPI document as it is now (run `pnpm console:types` after changing it)', () => {
    expect(readFileSync(CONSOLE_TYPES, 'utf8') === consoleTypes(), `${CONSOLE_TYPES} is stale`).toBe(true);
  });
});
