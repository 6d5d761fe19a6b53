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
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ContextKeys, FIX_PREVIEW_SCHEME, ServerCommands } from '../common/constants';
import { applyTextEdits, editsForUri, otherUris } from '../common/edits';
import { editedLines, followChange, type LineSpan } from './fixLines';
import { traceError, traceInfo } from '../common/log';
import * as api from '../common/vscodeapi';
import type { AcceptResult, CommandResult } from './results';

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
}

/** How a preview ended. */
export type Outcome = 'accepted' | 'rejected' | 'replaced' | 'closed' | 'stale' | 'stopped';

export const ACCEPT = 'Accept';
export const REJECT = 'Reject';

const TITLE_EXPLANATION_MAX = 80;

/** The diff editor's title: the file, and what the fix does when the model said so. */
export function diffTitle(name: string, explanation: string | undefined): string {
  if (!explanation) {
    return `${name}: Mistral fix (read-only preview)`;
  }
  const short = explanation.length > TITLE_EXPLANATION_MAX ? `${explanation.slice(0, TITLE_EXPLANATION_MAX - 1).trimEnd()}…` : explanation;
  return `${name}: Mistral fix (read-only) — ${short}`;
}

/** What a notification button pressed after the preview ended says. */
export function endedMessage(name: string, outcome: Outcome): string {
  switch (outcome) {
    case 'accepted':
      return `Mistral: that fix for ${name} was already accepted.`;
    case 'rejected':
      return `Mistral: that fix for ${name} was already rejected; nothing was applied.`;
    case 'replaced':
      return `Mistral: that fix for ${name} was replaced by a newer one, so it was not applied. Decide on the newer fix.`;
    case 'closed':
      return `Mistral: that fix for ${name} was closed with its preview, so it was not applied. Run Fix again to get it back.`;
    case 'stale':
      return `Mistral: that fix for ${name} was not applied: the lines it changes were edited. Run Fix again.`;
    case 'stopped':
      return `Mistral: that fix for ${name} ended when the extension stopped; nothing was applied.`;
  }
}

/** Said when a preview ends without a decision (a newer fix, its diff closed). */
export function endedWithoutDecision(name: string, outcome: 'replaced' | 'closed'): string {
  return outcome === 'replaced'
    ? `Mistral: the previous fix for ${name} was replaced by a newer one and not applied.`
    : `Mistral: the fix preview for ${name} was closed, so the fix was not applied.`;
}

/** Said when Accept refuses because the source was edited on the fix's lines. */
export function staleMessage(name: string, line: number): string {
  return `Mistral: ${name} was edited on line ${line + 1}, which the fix changes, while the fix was previewed; the fix was not applied. Run Fix again.`;
}

/** The Accept / Reject notification's text. */
export function decisionPrompt(name: string, explanation: string | undefined, otherFiles: number): string {
  const what = explanation ? ` ${explanation.replace(/[.:]?$/, '.')}` : '';
  const others = otherFiles ? ` It also changes ${otherFiles} other file(s).` : '';
  return `Mistral: apply this fix to ${name}?${what}${others}`;
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
  /** A fix started or stopped waiting for Accept / Reject. */
  readonly onDidChangePending = this.pendingEmitter.event;

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
    result: Pick<CommandResult, 'id' | 'edit' | 'message' | 'explanation'>,
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
    };
    this.pending = pending;
    await api.setContext(ContextKeys.fixPending, true);
    this.pendingEmitter.fire({ id, name, ...(explanation ? { explanation } : {}) });
    await api.executeCommand('vscode.diff', originalUri, proposedUri, diffTitle(name, explanation), {
      preview: false,
      viewColumn: viewColumn ?? vscode.ViewColumn.Active,
    });
    traceInfo(`Previewing fix ${id} for ${document.uri.toString()}`);
    const choice = await api.showInformationMessage(decisionPrompt(name, explanation, preview.others.length), ACCEPT, REJECT);
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
    await api.executeCommand('vscode.diff', pending.originalUri, pending.proposedUri, diffTitle(pending.name, pending.explanation), {
      preview: false,
      viewColumn: pending.viewColumn ?? vscode.ViewColumn.Active,
    });
  }

  async accept(): Promise<void> {
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
    return pending;
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
    for (const disposable of this.disposables) {
      disposable.dispose();
    }
  }
}
