/**
 * The fix preview: `mistral.fix` with `preview: true` returns the edit without applying it; this
 * shows `vscode.diff` of the text before and after (two read-only virtual documents of scheme
 * `mistral-fix`) with Accept / Reject as notification buttons and editor-title actions.
 * Accept runs `mistral.acceptFix {id}` (the server applies it, versioned, or refuses when the
 * target changed); Reject runs `mistral.rejectFix {id}`.
 *
 * The rule for text typed while a fix is previewed: the proposed side is read-only (the title
 * says so; VS Code refuses the typing), and typing in the source on the lines the fix changes
 * makes Accept refuse, with a message (fixLines.ts). A preview that ends without a decision (a
 * newer fix replaced it, its diff was closed) says so; VS Code cannot take back a notification,
 * so its buttons, pressed later, say what became of that fix instead of doing nothing.
 * The model's one-line explanation heads the notification and the diff title; the notification
 * hides after a while, so `onDidChangePending` feeds a status bar item that stays until the
 * decision is made (fixPendingStatus.ts).
 *
 * A proposal that comes as hunks (`result.hunks`) is shown inline instead (the default): its
 * hunks are decorated in their editors (hunkView.ts) with a CodeLens Accept | Reject each
 * (hunkLens.ts) and listed in the Review all view (hunkTree.ts); the diff opens only on demand
 * (the status item's Show the diff), and the notification's Accept / Reject decide every hunk.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ContextKeys, FIX_PREVIEW_SCHEME, ServerCommands } from '../common/constants';
import { applyTextEdits, editsForUri, otherUris } from '../common/edits';
import { editedLines, followChange, type LineSpan } from './fixLines';
import { acceptHunks, rejectHunks } from './hunkDecisions';
import { describeLines, PendingHunks, type Hunk, type PendingHunk } from './pendingHunks';
import { traceError, traceInfo } from '../common/log';
import * as api from '../common/vscodeapi';
import type { AcceptResult, CommandResult } from './results';
import { ACCEPT, decisionPrompt, diffTitle, endedMessage, endedWithoutDecision, REJECT, staleMessage, type Outcome } from './fixMessages';

export * from './fixMessages';

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

interface Pending {
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

export class FixPreview implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly contents = new Map<string, string>();
  private readonly changeEmitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changeEmitter.event;
  private pending: Pending | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly pendingEmitter = new vscode.EventEmitter<PendingView | undefined>();
  /** A fix started or stopped waiting for Accept / Reject (or its count of pending hunks changed). */
  readonly onDidChangePending = this.pendingEmitter.event;
  /** The hunks of the inline proposal still pending, across files. */
  readonly hunks = new PendingHunks();
  private readonly hunksEmitter = new vscode.EventEmitter<void>();
  /** The pending hunks changed: redraw. */
  readonly onDidChangeHunks = this.hunksEmitter.event;
  /** A hunk decision is in flight: the edits it applies are not the user's. */
  private deciding = false;

  constructor(private readonly runner: FixRunner) {
    this.disposables.push(
      api.registerTextDocumentContentProvider(FIX_PREVIEW_SCHEME, this),
      api.onDidChangeTabs((event) => this.onTabsChanged(event)),
      api.onDidChangeTextDocument((event) => this.onSourceChanged(event)),
    );
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.contents.get(uri.toString()) ?? '';
  }

  get pendingId(): string | undefined {
    return this.pending?.id;
  }

  /** Shows the diff of a previewed fix and waits for Accept / Reject. */
  async show(
    document: vscode.TextDocument,
    snapshot: Snapshot,
    result: Pick<CommandResult, 'id' | 'edit' | 'message' | 'explanation' | 'hunks'>,
    id: string,
    documentUri: string,
  ): Promise<void> {
    if (this.pending) {
      await this.end(this.pending, 'replaced');
    }
    let preview: ReturnType<typeof proposedText>;
    try {
      preview = proposedText(result, documentUri, snapshot, { text: document.getText(), version: document.version });
    } catch (error) {
      traceError('Could not apply the proposed edit for the preview:', error);
      await this.runner.executeCommand(ServerCommands.rejectFix, { id }).catch(() => undefined);
      void api.showErrorMessage(`Mistral: could not preview the fix (${error instanceof Error ? error.message : String(error)}).`);
      return;
    }
    if (!preview || preview.proposed === preview.base) {
      await this.runner.executeCommand(ServerCommands.rejectFix, { id }).catch(() => undefined);
      void api.showInformationMessage(result.message ?? 'Mistral: the model proposed no change.');
      return;
    }
    const name = path.posix.basename(document.uri.path) || 'untitled';
    const originalUri = vscode.Uri.from({ scheme: FIX_PREVIEW_SCHEME, path: `/${id}/original/${name}` });
    const proposedUri = vscode.Uri.from({ scheme: FIX_PREVIEW_SCHEME, path: `/${id}/proposed/${name}` });
    this.contents.set(originalUri.toString(), preview.base);
    this.contents.set(proposedUri.toString(), preview.proposed);
    const viewColumn = vscode.window.visibleTextEditors.find((e) => e.document === document)?.viewColumn;
    const explanation = result.explanation ?? undefined;
    const lines = preview.base === document.getText() ? editedLines(editsForUri(result.edit ?? {}, documentUri).edits) : undefined;
    const hunks = result.hunks ?? [];
    const inline = hunks.length > 0;
    const pending: Pending = {
      id,
      name,
      ...(explanation ? { explanation } : {}),
      document,
      originalUri,
      proposedUri,
      viewColumn,
      decided: false,
      lines,
      inline,
    };
    this.pending = pending;
    await api.setContext(ContextKeys.fixPending, true);
    if (inline) {
      await this.showInline(pending, hunks);
    } else {
      this.pendingEmitter.fire(this.view(pending));
      await api.executeCommand('vscode.diff', originalUri, proposedUri, diffTitle(name, explanation), {
        preview: false,
        viewColumn: viewColumn ?? vscode.ViewColumn.Active,
      });
    }
    traceInfo(`Previewing fix ${id} for ${document.uri.toString()}${inline ? ` inline (${hunks.length} hunks)` : ''}`);
    const choice = await api.showInformationMessage(
      // Blocks the server could not place: it says so itself (window/showMessage), for every client.
      decisionPrompt(name, explanation, preview.others.length, hunks.length),
      ACCEPT,
      REJECT,
    );
    if (this.pending !== pending || pending.decided) {
      // A button of a notification that outlived its fix: say what became of it.
      if (choice && pending.outcome) {
        void api.showInformationMessage(endedMessage(name, pending.outcome));
      }
      return;
    }
    if (choice === ACCEPT) {
      await this.accept();
    } else if (choice === REJECT) {
      await this.reject();
    }
    // Dismissed or hidden: the status bar item, the diff's title actions or the palette still decide.
  }

  /** Brings the pending fix's diff back to the front. */
  async showDiff(): Promise<void> {
    const pending = this.pending;
    if (!pending || pending.decided) {
      return;
    }
    if (pending.inline) {
      // What is still pending, on the text as it is now.
      const uri = pending.document.uri.toString();
      const edits = this.hunks.forUri(uri).map((hunk) => ({ range: hunk.range, newText: hunk.newText }));
      const text = pending.document.getText();
      this.contents.set(pending.originalUri.toString(), text);
      this.contents.set(pending.proposedUri.toString(), applyTextEdits(text, edits));
      this.changeEmitter.fire(pending.originalUri);
      this.changeEmitter.fire(pending.proposedUri);
    }
    await api.executeCommand('vscode.diff', pending.originalUri, pending.proposedUri, diffTitle(pending.name, pending.explanation), {
      preview: false,
      viewColumn: pending.viewColumn ?? vscode.ViewColumn.Active,
    });
  }

  async accept(): Promise<void> {
    if (this.pending?.inline && !this.pending.decided) {
      await this.acceptAllHunks(this.pending);
      return;
    }
    const pending = this.take();
    if (!pending) {
      void api.showInformationMessage('Mistral: no fix is waiting for a decision.');
      return;
    }
    if (pending.lines === 'touched') {
      pending.outcome = 'stale';
      traceInfo(`Fix ${pending.id} refused: its lines were edited during the preview`);
      await this.runner.executeCommand(ServerCommands.rejectFix, { id: pending.id }).catch((error) => traceError('rejectFix failed:', error));
      await this.close(pending);
      await api.showTextDocument(pending.document, { viewColumn: pending.viewColumn ?? vscode.ViewColumn.Active, preserveFocus: false });
      void api.showWarningMessage(staleMessage(pending.name, pending.touchedLine ?? 0));
      return;
    }
    pending.outcome = 'accepted';
    let result: AcceptResult | undefined;
    try {
      result = await this.runner.executeCommand<AcceptResult>(ServerCommands.acceptFix, { id: pending.id });
    } catch (error) {
      traceError('acceptFix failed:', error);
    }
    await this.close(pending);
    await api.showTextDocument(pending.document, { viewColumn: pending.viewColumn ?? vscode.ViewColumn.Active, preserveFocus: false });
    if (result && !result.applied) {
      // The server says why with window/showMessage (stale target, expired preview): no second toast.
      traceInfo(`Fix ${pending.id} was not applied: ${result.message ?? 'no reason given'}`);
    }
  }

  async reject(reason?: string): Promise<void> {
    const pending = this.take();
    if (!pending) {
      return;
    }
    pending.outcome ??= 'rejected';
    traceInfo(`Rejecting fix ${pending.id}${reason ? ` (${reason})` : ''}`);
    await this.runner.executeCommand(ServerCommands.rejectFix, { id: pending.id }).catch((error) => traceError('rejectFix failed:', error));
    await this.close(pending);
  }

  private take(): Pending | undefined {
    const pending = this.pending;
    if (!pending || pending.decided) {
      return undefined;
    }
    pending.decided = true;
    this.pending = undefined;
    void api.setContext(ContextKeys.fixPending, false);
    this.pendingEmitter.fire(undefined);
    if (pending.inline) {
      this.hunks.clear();
      void api.setContext(ContextKeys.hunksPending, false);
      this.hunksEmitter.fire();
    }
    return pending;
  }

  /** What the status item shows of `pending`. */
  private view(pending: Pending): PendingView {
    const explanation = pending.explanation ? { explanation: pending.explanation } : {};
    if (!pending.inline) {
      return { id: pending.id, name: pending.name, ...explanation };
    }
    return { id: pending.id, name: pending.name, ...explanation, hunks: this.hunks.count, files: this.hunks.files().length };
  }

  /** An inline proposal: its hunks drawn in their editors, the first one revealed. */
  private async showInline(pending: Pending, hunks: readonly Hunk[]): Promise<void> {
    this.hunks.set(hunks);
    await api.setContext(ContextKeys.hunksPending, true);
    this.hunksEmitter.fire();
    this.pendingEmitter.fire(this.view(pending));
    const first = this.hunks.forUri(pending.document.uri.toString())[0];
    const editor = await api.showTextDocument(pending.document, { viewColumn: pending.viewColumn ?? vscode.ViewColumn.Active, preserveFocus: false });
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

  /** Accept (CodeLens, keybinding, Review all): applies one hunk; the others stay pending. */
  async acceptHunk(hunkId?: string): Promise<void> {
    const pending = this.pending;
    const hunk = this.hunkFor(hunkId);
    if (!pending || pending.decided || !pending.inline || !hunk) {
      void api.showInformationMessage(noHunkMessage(hunkId));
      return;
    }
    this.deciding = true;
    const editedHere = hunk.editedLine !== undefined;
    const decision = await acceptHunks(this.runner, pending.id, this.hunks, [hunk.id]).finally(() => (this.deciding = false));
    this.afterDecision(pending, 'accepted');
    const reason = decision.refused.get(hunk.id);
    if (reason && editedHere) {
      // Refused here, before the server was asked; the server says why for its own refusals.
      void api.showWarningMessage(`Mistral: the change at ${describeLines(hunk)} of ${pending.name} was not applied: ${reason}.`);
    }
  }

  /** Reject (CodeLens, keybinding, Review all): drops one hunk; the others stay pending. */
  async rejectHunk(hunkId?: string): Promise<void> {
    const pending = this.pending;
    const hunk = this.hunkFor(hunkId);
    if (!pending || pending.decided || !pending.inline || !hunk) {
      void api.showInformationMessage(noHunkMessage(hunkId));
      return;
    }
    await rejectHunks(this.runner, pending.id, this.hunks, [hunk.id]);
    this.afterDecision(pending, 'rejected');
  }

  /**
   * Accept all of an inline proposal: applies what can be. The hunks refused are dropped: the
   * server said why for its own refusals; the extension says it for the lines the user edited.
   */
  private async acceptAllHunks(pending: Pending): Promise<void> {
    const edited = this.hunks.all.find((hunk) => hunk.editedLine !== undefined)?.editedLine;
    this.deciding = true;
    const decision = await acceptHunks(this.runner, pending.id, this.hunks).finally(() => (this.deciding = false));
    const left = this.hunks.all.map((hunk) => hunk.id);
    if (left.length) {
      await rejectHunks(this.runner, pending.id, this.hunks, left);
      this.hunks.clear();
    }
    pending.outcome = decision.decided.length ? 'accepted' : 'stale';
    this.afterDecision(pending, pending.outcome);
    if (edited !== undefined) {
      void api.showWarningMessage(
        decision.decided.length
          ? `Mistral: ${pending.name} was edited on line ${edited + 1}, which a change of the fix touches; that change was not applied (the others were).`
          : staleMessage(pending.name, edited),
      );
    }
  }

  /** Redraws after a hunk decision; the proposal ends once no hunk is left. */
  private afterDecision(pending: Pending, outcome: Outcome): void {
    this.hunksEmitter.fire();
    if (this.pending !== pending) {
      return;
    }
    if (this.hunks.count) {
      this.pendingEmitter.fire(this.view(pending));
      return;
    }
    pending.outcome ??= outcome;
    if (this.take()) {
      void this.close(pending);
    }
  }

  private async close(pending: Pending): Promise<void> {
    const tabs = api.allTabs().filter((tab) => {
      const input = tab.input;
      return input instanceof vscode.TabInputTextDiff && input.modified.toString() === pending.proposedUri.toString();
    });
    if (tabs.length) {
      await api.closeTabs(tabs);
    }
    this.contents.delete(pending.originalUri.toString());
    this.contents.delete(pending.proposedUri.toString());
  }

  private onTabsChanged(event: vscode.TabChangeEvent): void {
    const pending = this.pending;
    if (!pending || pending.decided) {
      return;
    }
    const closed = event.closed.some(
      (tab) => tab.input instanceof vscode.TabInputTextDiff && tab.input.modified.toString() === pending.proposedUri.toString(),
    );
    if (closed) {
      void this.end(pending, 'closed');
    }
  }

  /** Ends a preview without a decision, and says so. */
  private async end(pending: Pending, outcome: 'replaced' | 'closed'): Promise<void> {
    if (this.pending !== pending || pending.decided) {
      return;
    }
    pending.outcome = outcome;
    await this.reject(outcome === 'replaced' ? 'a newer fix replaced it' : 'its preview was closed');
    void api.showInformationMessage(endedWithoutDecision(pending.name, outcome));
  }

  /** Follows the source's edits: one on the lines the fix changes makes Accept refuse. */
  private onSourceChanged(event: vscode.TextDocumentChangeEvent): void {
    const pending = this.pending;
    if (pending?.inline && !pending.decided) {
      this.followHunks(event);
      return;
    }
    if (!pending || pending.decided || event.document !== pending.document || !pending.lines || pending.lines === 'touched') {
      return;
    }
    let lines: LineSpan | 'touched' = pending.lines;
    for (const change of event.contentChanges) {
      if (lines === 'touched') {
        break;
      }
      const next = followChange(lines, change);
      if (next === 'touched') {
        pending.touchedLine = change.range.start.line;
      }
      lines = next;
    }
    pending.lines = lines;
  }

  /** Moves the hunks with the user's edits; marks the ones whose lines were edited. */
  private followHunks(event: vscode.TextDocumentChangeEvent): void {
    if (this.deciding || !event.contentChanges.length) {
      return;
    }
    const uri = event.document.uri.toString();
    let changed = false;
    for (const change of event.contentChanges) {
      changed = this.hunks.follow(uri, change) || changed;
    }
    if (changed) {
      this.hunksEmitter.fire();
    }
  }

  dispose(): void {
    if (this.pending) {
      this.pending.outcome = 'stopped';
      void this.reject('the extension stopped');
    }
    this.changeEmitter.dispose();
    this.pendingEmitter.dispose();
    this.hunksEmitter.dispose();
    for (const disposable of this.disposables) {
      disposable.dispose();
    }
  }
}

function noHunkMessage(hunkId: string | undefined): string {
  return hunkId
    ? 'Mistral: that change of the fix was already decided.'
    : 'Mistral: no pending change of a fix at the cursor. Put the cursor on a highlighted change.';
}
