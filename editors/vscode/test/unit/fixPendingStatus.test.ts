import { describe, expect, it, vi } from 'vitest';
import * as vscode from 'vscode';
import { FixPendingStatus, type PendingFixes } from '../../src/features/fixPendingStatus';
import type { PendingView } from '../../src/features/fixPreview';

const mock = vscode as unknown as { window: Record<string, ReturnType<typeof vi.fn>> };

function item() {
  return { show: vi.fn(), hide: vi.fn(), dispose: vi.fn() } as unknown as vscode.StatusBarItem & {
    show: ReturnType<typeof vi.fn>;
    hide: ReturnType<typeof vi.fn>;
  };
}

function fixes() {
  const changes = new vscode.EventEmitter<PendingView | undefined>();
  return {
    changes,
    onDidChangePending: changes.event,
    accept: vi.fn(async () => changes.fire(undefined)),
    reject: vi.fn(async () => changes.fire(undefined)),
    showDiff: vi.fn(async () => undefined),
  } satisfies PendingFixes & { changes: unknown };
}

describe('FixPendingStatus', () => {
  it('shows a labelled item while a fix waits, and hides it once decided', async () => {
    const statusItem = item();
    const pending = fixes();
    const status = new FixPendingStatus(statusItem, pending, 'mistral-vscode.decideFix');
    expect(statusItem.hide).toHaveBeenCalled();
    pending.changes.fire({ id: 'fx1', name: 'buggy.py', explanation: 'The subtraction should be an addition' });
    expect(statusItem.text).toBe('$(diff) Mistral: fix pending — Accept / Reject');
    expect(statusItem.accessibilityInformation?.label).toBe('Mistral: fix pending for buggy.py');
    expect(String(statusItem.tooltip)).toContain('The subtraction should be an addition');
    expect(statusItem.show).toHaveBeenCalled();

    mock.window.showQuickPick = vi.fn(async (items: { decision: string }[]) => items.find((i) => i.decision === 'reject'));
    expect(await status.decide()).toBe('reject');
    expect(pending.reject).toHaveBeenCalled();
    expect(statusItem.hide).toHaveBeenCalledTimes(2);
  });

  it('says so when no fix is waiting', async () => {
    const status = new FixPendingStatus(item(), fixes(), 'mistral-vscode.decideFix');
    expect(await status.decide()).toBeUndefined();
    expect(mock.window.showInformationMessage).toHaveBeenCalledWith('Mistral: no fix is waiting for a decision.');
  });
});
