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
 * hunks (fixInline.ts) are decorated in their editors (hunkView.ts) with a CodeLens Accept |
 * Reject each (hunkLens.ts) and listed in the Review all view (hunkTree.ts); the diff opens only
 * on demand (the status item's Show the diff), and the notification's Accept / Reject decide
 * every hunk. This module owns the proposal's life: shown, decided, replaced, closed, stopped;
 * its state and proposed text are in fixProposal.ts, what it says in fixMessages.ts.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ContextKeys, FIX_PREVIEW_SCHEME, ServerCommands } from '../common/constants';
import { editsForUri } from '../common/edits';
import { traceError, traceInfo } from '../common/log';
import * as api from '../common/vscodeapi';
import { InlineHunks } from './fixInline';
import { editedLines, followChange, type LineSpan } from './fixLines';
import { ACCEPT, decisionPrompt, diffTitle, endedMessage, endedWithoutDecision, noHunkMessage, REJECT, staleMessage, type Outcome } from './fixMessages';
import { proposedText, type FixRunner, type Pending, type PendingView, type Snapshot } from './fixProposal';
import type { PendingHunk, PendingHunks } from './pendingHunks';
import type { AcceptResult, CommandResult } from './results';

export * from './fixMessages';
export { proposedText, type FixRunner, type PendingView, type Snapshot } from './fixProposal';

export class FixPreview implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly contents = new Map<string, string>();
  private readonly changeEmitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changeEmitter.event;
  private pending: Pending | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly pendingEmitter = new vscode.EventEmitter<PendingView | undefined>();
  /** A fix started or stopped waiting for Accept / Reject (or its count of pending hunks changed). */
  readonly onDidChangePending = this.pendingEmitter.event;
  /** The inline proposal's hunks (hunkView.ts, hunkLens.ts, hunkTree.ts draw them). */
  private readonly inline: InlineHunks;

  constructor(private readonly runner: FixRunner) {
    this.inline = new InlineHunks(runner);
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

  /** The hunks of the inline proposal still pending, across files. */
  get hunks(): PendingHunks {
    return this.inline.hunks;
  }

  /** The pending hunks changed: redraw. */
  get onDidChangeHunks(): vscode.Event<void> {
    return this.inline.onDidChange;
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
      await this.inline.set(hunks);
      this.pendingEmitter.fire(this.view(pending));
      await this.inline.reveal(document, viewColumn);
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
      const text = pending.document.getText();
      this.contents.set(pending.originalUri.toString(), text);
      this.contents.set(pending.proposedUri.toString(), this.inline.proposedFor(pending.document.uri.toString(), text));
      this.changeEmitter.fire(pending.originalUri);
      this.changeEmitter.fire(pending.proposedUri);
    }
    await api.executeCommand('vscode.diff', pending.originalUri, pending.proposedUri, diffTitle(pending.name, pending.explanation), {
      preview: false,
      viewColumn: pending.viewColumn ?? vscode.ViewColumn.Active,
    });
  }

  async accept(): Promise<void> {
    const current = this.pending;
    if (current?.inline && !current.decided) {
      // Accept all of an inline proposal: what can be applied is.
      const { outcome, warning } = await this.inline.acceptAll(current.id, current.name);
      current.outcome = outcome;
      this.afterDecision(current, outcome);
      if (warning) {
        void api.showWarningMessage(warning);
      }
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
      this.inline.clear();
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

  /** The hunk with id `hunkId`, or the one at the active editor's cursor. */
  hunkFor(hunkId?: string): PendingHunk | undefined {
    return this.inline.hunkFor(hunkId);
  }

  /** Accept (CodeLens, keybinding, Review all): applies one hunk; the others stay pending. */
  async acceptHunk(hunkId?: string): Promise<void> {
    const pending = this.pending;
    const hunk = this.hunkFor(hunkId);
    if (!pending || pending.decided || !pending.inline || !hunk) {
      void api.showInformationMessage(noHunkMessage(hunkId));
      return;
    }
    const warning = await this.inline.acceptOne(pending.id, pending.name, hunk);
    this.afterDecision(pending, 'accepted');
    if (warning) {
      void api.showWarningMessage(warning);
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
    await this.inline.rejectOne(pending.id, hunk);
    this.afterDecision(pending, 'rejected');
  }

  /** Redraws after a hunk decision; the proposal ends once no hunk is left. */
  private afterDecision(pending: Pending, outcome: Outcome): void {
    this.inline.changed();
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
      this.inline.follow(event);
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

  dispose(): void {
    if (this.pending) {
      this.pending.outcome = 'stopped';
      void this.reject('the extension stopped');
    }
    this.changeEmitter.dispose();
    this.pendingEmitter.dispose();
    this.inline.dispose();
    for (const disposable of this.disposables) {
      disposable.dispose();
    }
  }
}
