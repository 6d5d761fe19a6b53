/**
 * A fix waiting for Accept / Reject stays visible: the notification hides after a while and the
 * diff editor's ✓/✗ title icons have no labels, so a status bar item says "fix pending" until
 * the decision is made. Clicking it offers Accept, Reject and Show the diff. For a fix shown inline,
 * it counts the hunks still pending across files, and also offers the Review all view.
 */
import type * as vscode from 'vscode';
import { HUNKS_VIEW } from '../common/constants';
import * as api from '../common/vscodeapi';
import type { PendingView } from './fixPreview';

export interface PendingItemView {
  text: string;
  /** For screen readers and the end-to-end test. */
  label: string;
  tooltip: string;
}

/** "3 changes" */
export function changes(count: number): string {
  return `${count} change${count === 1 ? '' : 's'}`;
}

export function pendingItemView(pending: PendingView): PendingItemView {
  const what = pending.explanation ? `\n${pending.explanation}` : '';
  if (pending.hunks !== undefined) {
    const others = (pending.files ?? 1) - 1;
    const where = others > 0 ? `${pending.name} and ${others} other file${others === 1 ? '' : 's'}` : pending.name;
    return {
      text: `$(diff) Mistral: ${changes(pending.hunks)} pending`,
      label: `Mistral: fix pending for ${where}, ${changes(pending.hunks)}`,
      tooltip: `A fix for ${where} waits for your decision: ${changes(pending.hunks)}.${what}\nAccept or Reject each with the CodeLens above it; click here to accept or reject all, or review them.`,
    };
  }
  return {
    text: '$(diff) Mistral: fix pending — Accept / Reject',
    label: `Mistral: fix pending for ${pending.name}`,
    tooltip: `A fix for ${pending.name} waits for your decision.${what}\nClick to accept, reject or show the diff.`,
  };
}

export type Decision = 'accept' | 'reject' | 'show' | 'review';

export interface PendingFixes {
  readonly onDidChangePending: (listener: (pending: PendingView | undefined) => void) => vscode.Disposable;
  accept(): Promise<void>;
  reject(reason?: string): Promise<void>;
  showDiff(): Promise<void>;
}

/** The command that shows the Review all view (VS Code's `<view id>.focus`). */
export const REVIEW_ALL_COMMAND = `${HUNKS_VIEW}.focus`;

export class FixPendingStatus implements vscode.Disposable {
  private pending: PendingView | undefined;
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly item: vscode.StatusBarItem,
    private readonly fixes: PendingFixes,
    command: string,
  ) {
    item.name = 'Mistral fix pending';
    item.command = command;
    this.subscription = fixes.onDidChangePending((pending) => this.render(pending));
    this.render(undefined);
  }

  private render(pending: PendingView | undefined): void {
    this.pending = pending;
    if (!pending) {
      this.item.hide();
      return;
    }
    const view = pendingItemView(pending);
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.accessibilityInformation = { label: view.label, role: 'button' };
    this.item.show();
  }

  /** The item's command: pick Accept, Reject or Show the diff. */
  async decide(): Promise<Decision | undefined> {
    const pending = this.pending;
    if (!pending) {
      void api.showInformationMessage('Mistral: no fix is waiting for a decision.');
      return undefined;
    }
    type Item = vscode.QuickPickItem & { decision: Decision };
    const all = pending.hunks !== undefined ? ` all ${changes(pending.hunks)}` : '';
    const items: Item[] = [
      { label: `$(check) Accept${all}`, description: `apply the fix to ${pending.name}`, decision: 'accept' },
      { label: `$(close) Reject${all}`, description: 'leave the file as it is', decision: 'reject' },
      { label: '$(diff) Show the diff', decision: 'show' },
    ];
    if (pending.hunks !== undefined) {
      items.push({ label: '$(list-tree) Review all', description: 'every change, file by file', decision: 'review' });
    }
    const choice = await api.showQuickPick(items, {
      title: `Mistral: fix for ${pending.name}`,
      placeHolder: pending.explanation ?? 'Accept or reject the proposed fix',
    });
    if (!choice || this.pending?.id !== pending.id) {
      return undefined;
    }
    if (choice.decision === 'accept') {
      await this.fixes.accept();
    } else if (choice.decision === 'reject') {
      await this.fixes.reject();
    } else if (choice.decision === 'review') {
      await api.executeCommand(REVIEW_ALL_COMMAND);
    } else {
      await this.fixes.showDiff();
    }
    return choice.decision;
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}
