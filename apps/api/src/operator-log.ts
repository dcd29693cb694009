import { newId } from '@payouts/core';
import { type Database, operatorActions, type Transaction } from '@payouts/db';

/**
 * Records an operator action: who (the operator key), what, on what, with what result, when.
 * Pass the transaction of the change it records, so the change and its record commit together
 * or not at all; only an action outside Postgres (a queue, a Redis flag) is recorded after it.
 */
export async function recordOperatorAction(
  db: Database | Transaction,
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
