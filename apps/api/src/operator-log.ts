import { newId } from '@payouts/core';
import { type Database, operatorActions } from '@payouts/db';

/** Records an operator action: who (the operator key), what, on what, with what result, when. */
export async function recordOperatorAction(
  db: Database,
  action: {
    actor: string;
    action: string;
    target: string | null;
    params?: Record<string, unknown>;
    result?: Record<string, unknown>;
  },
): Promise<void> {
  await db.insert(operatorActions).values({
    id: newId('operatorAction'),
    actor: action.actor,
    action: action.action,
    target: action.target,
    params: action.params ?? {},
    result: action.result ?? {},
  });
}
