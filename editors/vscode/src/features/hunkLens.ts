/**
 * The CodeLens "Accept | Reject" above each pending hunk of a fix (and, above the first one of a
 * file, "Accept All | Reject All" when the proposal has more than one hunk). A hunk whose Accept
 * was refused says why in its lens. The lenses run the extension's hunk commands with the hunk's id.
 */
import * as vscode from 'vscode';
import { Commands } from '../common/constants';
import { anchorLine, describeLines, type PendingHunk, type PendingHunks } from './pendingHunks';

export interface LensSpec {
  line: number;
  title: string;
  command: string;
  arguments: unknown[];
  tooltip?: string;
}

/** The lenses of one document's hunks: pure, for the unit tests. */
export function lensesFor(hunks: readonly PendingHunk[], total: number): LensSpec[] {
  const lenses: LensSpec[] = [];
  hunks.forEach((hunk, index) => {
    const line = anchorLine(hunk);
    const where = `${hunk.label ? `${hunk.label}, ` : ''}${describeLines(hunk)}`;
    lenses.push(
      { line, title: '$(check) Accept', command: Commands.acceptHunk, arguments: [hunk.id], tooltip: `Apply this change (${where})` },
      { line, title: '$(close) Reject', command: Commands.rejectHunk, arguments: [hunk.id], tooltip: `Drop this change (${where})` },
    );
    if (hunk.refused) {
      lenses.push({ line, title: `$(warning) Not applied: ${hunk.refused}`, command: '', arguments: [] });
    } else if (hunk.editedLine !== undefined) {
      lenses.push({ line, title: `$(warning) Edited since proposed: Accept will refuse it`, command: '', arguments: [] });
    }
    if (index === 0 && total > 1) {
      lenses.push(
        { line, title: `Accept All (${total})`, command: Commands.acceptFix, arguments: [], tooltip: 'Apply every pending change of this fix' },
        { line, title: 'Reject All', command: Commands.rejectFix, arguments: [], tooltip: 'Drop every pending change of this fix' },
      );
    }
  });
  return lenses;
}

export class HunkLensProvider implements vscode.CodeLensProvider {
  readonly onDidChangeCodeLenses: vscode.Event<void>;

  constructor(
    private readonly hunks: PendingHunks,
    onDidChange: vscode.Event<void>,
  ) {
    this.onDidChangeCodeLenses = onDidChange;
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    const hunks = this.hunks.forUri(document.uri.toString());
    if (!hunks.length) {
      return [];
    }
    const last = Math.max(document.lineCount - 1, 0);
    return lensesFor(hunks, this.hunks.count).map(
      (spec) =>
        new vscode.CodeLens(new vscode.Range(Math.min(spec.line, last), 0, Math.min(spec.line, last), 0), {
          title: spec.title,
          command: spec.command,
          arguments: spec.arguments,
          ...(spec.tooltip ? { tooltip: spec.tooltip } : {}),
        }),
    );
  }
}
