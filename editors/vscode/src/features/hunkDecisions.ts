/**
 * Accepting or rejecting some hunks of a pending fix: `mistral.acceptFix {id, hunks}` /
 * `mistral.rejectFix {id, hunks}`, then the pending hunks redrawn from the answer's `pending`.
 * A hunk whose lines the user edited is refused here, before the server is asked (the rule of
 * fixLines.ts, per hunk); the server refuses others for its own reasons (`refused`). Either way
 * the hunk stays pending with its reason, and the others still apply.
 */
import { ServerCommands } from '../common/constants';
import { traceError, traceInfo } from '../common/log';
import type { AppliedResult, RejectResult } from '../generated/protocol';
import { editedReason, type Hunk, type PendingHunks } from './pendingHunks';

export interface DecisionRunner {
  executeCommand<T>(command: string, argument?: object): Promise<T>;
}

/** What `mistral.acceptFix` / `mistral.rejectFix` answer about hunks (docs/protocol.md). */
export type HunkDecisionResult = Partial<AppliedResult> & Partial<RejectResult>;

export interface Decision {
  /** Ids the server applied (accept) or dropped (reject). */
  decided: string[];
  /** Why each refused hunk was not applied, by id. */
  refused: Map<string, string>;
}

/** Accepts `ids` (every pending hunk when undefined) of fix `fixId`; updates `hunks`. */
export async function acceptHunks(runner: DecisionRunner, fixId: string, hunks: PendingHunks, ids?: readonly string[]): Promise<Decision> {
  const targets = (ids ?? hunks.all.map((hunk) => hunk.id)).filter((id) => hunks.get(id));
  const refused = new Map<string, string>();
  const ready: string[] = [];
  for (const id of targets) {
    const edited = hunks.get(id)?.editedLine;
    if (edited !== undefined) {
      refused.set(id, editedReason(edited));
    } else {
      ready.push(id);
    }
  }
  if (!ready.length) {
    hunks.update(hunks.all, refused);
    return { decided: [], refused };
  }
  let result: HunkDecisionResult | undefined;
  try {
    result = await runner.executeCommand<HunkDecisionResult>(ServerCommands.acceptFix, { id: fixId, hunks: ready });
  } catch (error) {
    traceError('acceptFix failed:', error);
  }
  for (const { id, reason } of result?.refused ?? []) {
    refused.set(id, reason);
  }
  const decided = result?.appliedHunks ?? (result?.applied ? ready.filter((id) => !refused.has(id)) : []);
  if (result && !result.applied && !result.refused?.length && result.message) {
    // The whole proposal is gone (expired, unknown): every named hunk says so.
    for (const id of ready) {
      refused.set(id, result.message);
    }
  }
  redraw(hunks, result?.pending, decided, refused);
  traceInfo(`Fix ${fixId}: applied ${decided.join(', ') || 'nothing'}${refused.size ? `; refused ${[...refused.keys()].join(', ')}` : ''}`);
  return { decided, refused };
}

/** Rejects `ids` of fix `fixId` (they are dropped); updates `hunks`. */
export async function rejectHunks(runner: DecisionRunner, fixId: string, hunks: PendingHunks, ids: readonly string[]): Promise<Decision> {
  let result: HunkDecisionResult | undefined;
  try {
    result = await runner.executeCommand<HunkDecisionResult>(ServerCommands.rejectFix, { id: fixId, hunks: [...ids] });
  } catch (error) {
    traceError('rejectFix failed:', error);
  }
  redraw(hunks, result?.pending, [...ids], new Map());
  return { decided: [...ids], refused: new Map() };
}

/** From the server's `pending` when it sent one; else the decided ids are dropped. */
function redraw(hunks: PendingHunks, pending: Hunk[] | null | undefined, decided: readonly string[], refused: ReadonlyMap<string, string>): void {
  if (pending) {
    hunks.update(pending, refused);
  } else {
    hunks.remove(decided);
    hunks.update(hunks.all, refused);
  }
}
