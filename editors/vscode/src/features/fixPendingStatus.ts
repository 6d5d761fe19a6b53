/**
 * A fix waiting for Accept / Reject stays visible: the notification hides after a while and the
 * diff editor's ✓/✗ title icons have no labels, so a status bar item says "fix pending" until
 * the decision is made. Clicking it offers Accept, Reject and Show the diff.
 */
import type * as vscode from 'vscode';
import * as api from '../common/vscodeapi';
import type { PendingView } from './fixPreview';

export interface PendingItemView {
  text: string;
  /** For screen readers and the end-to-end test. */
  label: string;
  tooltip: string;
}

export function pendingItemView(pending: PendingView): PendingItemView {
  const what = pending.explanation ? `\n${pending.explanation}` : '';
  return {
    text: '$(diff) Mistral: fix pending — Accept / Reject',
    label: `Mistral: fix pending for ${pending.name}`,
    tooltip: `A fix for ${pending.name} waits for your decision.${what}\nClick to accept, reject or show the diff.`,
  };
}

export type Decision = 'accept' | 'reject' | 'show';

export interface PendingFixes {
  readonly onDidChangePending: (listener: (pending: PendingView | undefined) => void) => vscode.Disposable;
  accept(): Promise<void>;
  reject(reason?: string): Promise<void>;
  showDiff(): Promise<void>;
}

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
    const items: Item[] = [
      { label: '$(check) Accept', description: `apply the fix to ${pending.name}`, decision: 'accept' },
      { label: '$(close) Reject', description: 'leave the file as it is', decision: 'reject' },
      { label: '$(diff) Show the diff', decision: 'show' },
    ];
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
