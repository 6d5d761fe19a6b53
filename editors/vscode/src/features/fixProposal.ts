/**
 * A previewed fix as the extension holds it while it waits for Accept / Reject (fixPreview.ts):
 * the proposal's state, what the status item shows of it, and its proposed text — the edit
 * applied to the text it was computed for (the diff's right side).
 */
import type * as vscode from 'vscode';
import { applyTextEdits, editsForUri, otherUris } from '../common/edits';
import type { LineSpan } from './fixLines';
import type { Outcome } from './fixMessages';
import type { CommandResult } from './results';

/** Runs the server's commands (`mistral.acceptFix`, `mistral.rejectFix`). */
export interface FixRunner {
  executeCommand<T>(command: string, argument?: object): Promise<T>;
}

export interface Snapshot {
  text: string;
  version: number;
}

/** What the status bar shows of a fix waiting for a decision. */
export interface PendingView {
  id: string;
  name: string;
  explanation?: string;
  /** Inline proposals: the hunks still pending, and the files they are in. */
  hunks?: number;
  files?: number;
}

/** A fix waiting for a decision. */
export interface Pending {
  id: string;
  name: string;
  explanation?: string;
  document: vscode.TextDocument;
  originalUri: vscode.Uri;
  proposedUri: vscode.Uri;
  viewColumn: vscode.ViewColumn | undefined;
  decided: boolean;
  /** The source lines the fix changes, followed through edits; 'touched' once one edited them. */
  lines: LineSpan | 'touched' | undefined;
  /** The first source line (0-based) edited on the fix's lines. */
  touchedLine?: number;
  /** What became of it, for a notification button pressed after the decision. */
  outcome?: Outcome;
  /** Shown inline, hunk by hunk (the diff opens only on demand). */
  inline: boolean;
}

/** The proposed text: the edit applied to the text it was computed for. */
export function proposedText(
  result: Pick<CommandResult, 'edit'>,
  documentUri: string,
  snapshot: Snapshot,
  current: Snapshot,
): { base: string; proposed: string; others: string[] } | undefined {
  if (!result.edit) {
    return undefined;
  }
  const { edits, version } = editsForUri(result.edit, documentUri);
  // The edit is versioned with the text it applies to: the one we sent, or a newer one
  // when the server already rebased it.
  const base = version !== null && version === current.version && version !== snapshot.version ? current.text : snapshot.text;
  return { base, proposed: applyTextEdits(base, edits), others: otherUris(result.edit, documentUri) };
}
