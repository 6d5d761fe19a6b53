/**
 * The inline side of a fix proposal (fixPreview.ts): its hunks still pending, across files —
 * what hunkView.ts decorates, hunkLens.ts puts a CodeLens Accept | Reject above and hunkTree.ts
 * lists — decided one by one or all at once (hunkDecisions.ts), and followed through the user's
 * edits: an edit on a hunk's lines makes its Accept refuse, with a warning naming the line.
 */
import * as vscode from 'vscode';
import { ContextKeys } from '../common/constants';
import { applyTextEdits } from '../common/edits';
import * as api from '../common/vscodeapi';
import type { FixRunner } from './fixProposal';
import { staleMessage, type Outcome } from './fixMessages';
import { acceptHunks, rejectHunks } from './hunkDecisions';
import { describeLines, PendingHunks, type Hunk, type PendingHunk } from './pendingHunks';

export class InlineHunks implements vscode.Disposable {
  /** The hunks of the inline proposal still pending, across files. */
  readonly hunks = new PendingHunks();
  private readonly emitter = new vscode.EventEmitter<void>();
  /** The pending hunks changed: redraw. */
  readonly onDidChange = this.emitter.event;
  /** A hunk decision is in flight: the edits it applies are not the user's. */
  private deciding = false;

  constructor(private readonly runner: FixRunner) {}

  /** A new proposal: every hunk pending. */
  async set(hunks: readonly Hunk[]): Promise<void> {
    this.hunks.set(hunks);
    await api.setContext(ContextKeys.hunksPending, true);
    this.changed();
  }

  /** The proposal ended: no hunk is pending any more. */
  clear(): void {
    this.hunks.clear();
    void api.setContext(ContextKeys.hunksPending, false);
    this.changed();
  }

  changed(): void {
    this.emitter.fire();
  }

  /** Shows `document` and its first pending hunk. */
  async reveal(document: vscode.TextDocument, viewColumn: vscode.ViewColumn | undefined): Promise<void> {
    const first = this.hunks.forUri(document.uri.toString())[0];
    const editor = await api.showTextDocument(document, { viewColumn: viewColumn ?? vscode.ViewColumn.Active, preserveFocus: false });
    if (first && editor?.revealRange) {
      const line = first.range.start.line;
      editor.revealRange(new vscode.Range(line, 0, line, 0), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    }
  }

  /** The hunk with id `hunkId`, or the one at the active editor's cursor. */
  hunkFor(hunkId?: string): PendingHunk | undefined {
    if (hunkId) {
      return this.hunks.get(hunkId);
    }
    const editor = api.getActiveTextEditor();
    return editor ? this.hunks.at(editor.document.uri.toString(), editor.selection.active.line) : undefined;
  }

  /** `text` with the hunks still pending for `uri` applied: the on-demand diff's right side. */
  proposedFor(uri: string, text: string): string {
    const edits = this.hunks.forUri(uri).map((hunk) => ({ range: hunk.range, newText: hunk.newText }));
    return applyTextEdits(text, edits);
  }

  /** Accepts one hunk of fix `fixId` (of file `name`); returns the warning to show when the extension refused it. */
  async acceptOne(fixId: string, name: string, hunk: PendingHunk): Promise<string | undefined> {
    const editedHere = hunk.editedLine !== undefined;
    const decision = await this.decide(() => acceptHunks(this.runner, fixId, this.hunks, [hunk.id]));
    const reason = decision.refused.get(hunk.id);
    // Refused here, before the server was asked; the server says why for its own refusals.
    return reason && editedHere ? `Mistral: the change at ${describeLines(hunk)} of ${name} was not applied: ${reason}.` : undefined;
  }

  async rejectOne(fixId: string, hunk: PendingHunk): Promise<void> {
    await rejectHunks(this.runner, fixId, this.hunks, [hunk.id]);
  }

  /**
   * Accept all: applies what can be. The hunks refused are dropped: the server said why for its
   * own refusals; the warning returned says it for the lines the user edited.
   */
  async acceptAll(fixId: string, name: string): Promise<{ outcome: Outcome; warning?: string }> {
    const edited = this.hunks.all.find((hunk) => hunk.editedLine !== undefined)?.editedLine;
    const decision = await this.decide(() => acceptHunks(this.runner, fixId, this.hunks));
    const left = this.hunks.all.map((hunk) => hunk.id);
    if (left.length) {
      await rejectHunks(this.runner, fixId, this.hunks, left);
      this.hunks.clear();
    }
    const outcome: Outcome = decision.decided.length ? 'accepted' : 'stale';
    if (edited === undefined) {
      return { outcome };
    }
    const warning = decision.decided.length
      ? `Mistral: ${name} was edited on line ${edited + 1}, which a change of the fix touches; that change was not applied (the others were).`
      : staleMessage(name, edited);
    return { outcome, warning };
  }

  /** Moves the hunks with the user's edits; marks the ones whose lines were edited. */
  follow(event: vscode.TextDocumentChangeEvent): void {
    if (this.deciding || !event.contentChanges.length) {
      return;
    }
    const uri = event.document.uri.toString();
    let changed = false;
    for (const change of event.contentChanges) {
      changed = this.hunks.follow(uri, change) || changed;
    }
    if (changed) {
      this.changed();
    }
  }

  private async decide<T>(decision: () => Promise<T>): Promise<T> {
    this.deciding = true;
    try {
      return await decision();
    } finally {
      this.deciding = false;
    }
  }

  dispose(): void {
    this.emitter.dispose();
  }
}
