import { type IdKind, isId, must } from '@payouts/core';
import { problems } from './problem.ts';

/** Keyset pages of the webhook listings: newest first, the cursor is the last id seen, opaque. */
function encodeCursor(id: string): string {
  return Buffer.from(id).toString('base64url');
}

export function decodeCursor(cursor: string, kind: IdKind): string {
  const id = Buffer.from(cursor, 'base64url').toString();
  if (!isId(id, kind))
    throw problems.badRequest('invalid_cursor', 'The cursor is not one this API returned.', 'cursor');
  return id;
}

export function page<T extends { id: string }>(rows: T[], limit: number) {
  const data = rows.slice(0, limit);
  const hasMore = rows.length > limit;
  return {
    data,
    has_more: hasMore,
    next_cursor: hasMore ? encodeCursor(must(data.at(-1), 'the last row of a full page').id) : null,
  };
}
