import { newId } from '@payouts/core';
import { appendOperatorActions, type Database, type Transaction } from '@payouts/db';

/**
 * Records an operator action: who (the operator key), what, on what, with what result, when.
 * Pass the transaction of the change it records, so the change and its record commit together
 * or not at all, and call it last in that transaction: it appends to the operator audit chain,
 * whose head lock must be the last lock taken. Only an action outside Postgres (a queue, a Redis
 * flag) is recorded after it, in a transaction of its own.
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
  // On a transaction this is a savepoint: the head lock stays taken until the caller's commit.
  await db.transaction((tx) =>
    appendOperatorActions(tx, [
      {
        id: newId('operatorAction'),
        actor: action.actor,
        action: action.action,
        target: action.target,
        params: action.params ?? {},
        result: action.result ?? {},
        createdAt: new Date(),
      },
    ]),
  );
}
