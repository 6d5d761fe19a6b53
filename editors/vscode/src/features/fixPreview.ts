/**
 * The fix preview: `mistral.fix` with `preview: true` returns the edit without applying it; this
 * shows `vscode.diff` of the text before and after (two read-only virtual documents of scheme
 * `mistral-fix`) with Accept / Reject as notification buttons and editor-title actions.
 * Accept runs `mistral.acceptFix {id}` (the server applies it, versioned, or refuses when the
 * target changed); Reject, closing the diff or a newer fix runs `mistral.rejectFix {id}`.
 * The model's one-line explanation heads the notification and the diff title; the notification
 * hides after a while, so `onDidChangePending` feeds a status bar item that stays until the
 * decision is made (fixPendingStatus.ts).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ContextKeys, FIX_PREVIEW_SCHEME, ServerCommands } from '../common/constants';
import { applyTextEdits, editsForUri, otherUris } from '../common/edits';
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
}

export const ACCEPT = 'Accept';
export const REJECT = 'Reject';

const TITLE_EXPLANATION_MAX = 80;

/** The diff editor's title: the file, and what the fix does when the model said so. */
export function diffTitle(name: string, explanation: string | undefined): string {
  if (!explanation) {
    return `${name}: Mistral fix (preview)`;
  }
  const short = explanation.length > TITLE_EXPLANATION_MAX ? `${explanation.slice(0, TITLE_EXPLANATION_MAX - 1).trimEnd()}…` : explanation;
  return `${name}: Mistral fix — ${short}`;
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
      await this.reject('a newer fix replaced it');
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
    const pending: Pending = { id, name, ...(explanation ? { explanation } : {}), document, originalUri, proposedUri, viewColumn, decided: false };
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
      void this.reject('its preview was closed');
    }
  }

  dispose(): void {
    if (this.pending) {
      void this.reject('the extension stopped');
    }
    this.changeEmitter.dispose();
    this.pendingEmitter.dispose();
    for (const disposable of this.disposables) {
      disposable.dispose();
    }
  }
}
