import { describe, expect, it, vi } from 'vitest';
import { StatusBar, StatusModel } from '../../src/common/status';

function running(): StatusModel {
  const model = new StatusModel();
  model.setServer('running');
  return model;
}

describe('StatusModel', () => {
  it('starts as starting, then idle once the server runs', () => {
    const model = new StatusModel();
    expect(model.view()).toMatchObject({ label: 'Mistral: starting', busy: false });
    model.setServer('running');
    expect(model.view()).toMatchObject({ text: '$(sparkle) Mistral', label: 'Mistral: idle', busy: false });
  });

  it('spins from $/progress begin to end, showing the latest report', () => {
    const model = running();
    model.onProgress('t1', { kind: 'begin', title: 'Mistral: Fix' });
    expect(model.view()).toMatchObject({ busy: true, text: '$(loading~spin) Mistral: Fix…' });
    model.onProgress('t1', { kind: 'report', message: 'writing… 12 tokens' });
    expect(model.view().text).toBe('$(loading~spin) Mistral: Fix — writing… 12 tokens');
    model.onProgress('t1', { kind: 'end', message: 'done' });
    expect(model.view()).toMatchObject({ busy: false, label: 'Mistral: idle' });
  });

  it('counts parallel runs and ignores reports for unknown tokens', () => {
    const model = running();
    model.onProgress(1, { kind: 'begin', title: 'Mistral: Review' });
    model.onProgress(2, { kind: 'begin', title: 'Mistral: Explain' });
    model.onProgress(3, { kind: 'report', message: 'stray' });
    expect(model.view().text).toBe('$(loading~spin) Mistral: Explain… (+1)');
    expect(model.view().tooltip).toContain('• Mistral: Review');
    model.onProgress(2, { kind: 'end' });
    expect(model.view().text).toBe('$(loading~spin) Mistral: Review…');
  });

  it('is busy while a request of ours is in flight, even without progress', () => {
    const model = running();
    model.requestStarted('r1', 'Mistral: Fix');
    expect(model.busy).toBe(true);
    expect(model.view().text).toBe('$(loading~spin) Mistral: Fix…');
    model.requestEnded('r1');
    expect(model.busy).toBe(false);
  });

  it('drops open progress when the server stops, and shows the failure', () => {
    const model = running();
    model.onProgress('t', { kind: 'begin', title: 'Mistral: Fix' });
    model.setServer('failed', 'mistral-lsp not found');
    expect(model.busy).toBe(false);
    expect(model.view()).toMatchObject({ text: '$(error) Mistral: server stopped', label: 'Mistral: server stopped', severity: 'error' });
    expect(model.view().tooltip).toContain('mistral-lsp not found');
  });

  it('says "server stopped" with the cause when a running server stops on its own, never "starting"', () => {
    const model = running();
    model.setServer('stopped', 'it was killed by SIGKILL');
    expect(model.view()).toMatchObject({ label: 'Mistral: server stopped', severity: 'error' });
    expect(model.view().tooltip).toBe('Mistral: the server stopped (it was killed by SIGKILL).\nClick to restart it or show the logs.');
  });

  it('shows a rejected key until a key is set', () => {
    const model = running();
    model.setKeyRejected(true);
    expect(model.view()).toMatchObject({ text: '$(key) Mistral: key rejected', label: 'Mistral: API key rejected', severity: 'error' });
    model.setKeyRejected(false);
    expect(model.view().label).toBe('Mistral: idle');
  });

  it('shows review on save paused, with its reason, until it resumes or the server restarts', () => {
    const model = running();
    model.setReviewPaused('the API rejected the key (HTTP 401)');
    // Only while review on save is on.
    expect(model.view().label).toBe('Mistral: idle');
    model.setReviewOnSave(true);
    expect(model.view()).toMatchObject({ text: '$(debug-pause) Mistral: review on save paused', label: 'Mistral: review on save paused' });
    expect(model.view().tooltip).toContain('Review on save is paused: the API rejected the key (HTTP 401).');
    model.setKeyRejected(true);
    expect(model.view().label).toBe('Mistral: API key rejected, review on save paused');
    model.setKeyRejected(false);
    model.setReviewPaused(undefined);
    expect(model.view().label).toBe('Mistral: idle, review on save on');
    model.setReviewPaused('the model was not found (HTTP 404)');
    model.setServer('starting');
    model.setServer('running');
    expect(model.view().label).toBe('Mistral: idle, review on save on');
  });

  it('shows review on save', () => {
    const model = running();
    model.setReviewOnSave(true);
    expect(model.view()).toMatchObject({ text: '$(eye) Mistral', label: 'Mistral: idle, review on save on' });
    expect(model.view().tooltip).toContain('Review on save: on');
  });

  it('notifies listeners of every change', () => {
    const model = new StatusModel();
    const listener = vi.fn();
    const subscription = model.onDidChange(listener);
    model.setServer('running');
    model.onProgress('t', { kind: 'begin', title: 'x' });
    subscription.dispose();
    model.onProgress('t', { kind: 'end' });
    expect(listener).toHaveBeenCalledTimes(2);
  });
});

describe('StatusBar', () => {
  it('renders the model into the item and reports busy changes', () => {
    const item = { text: '', tooltip: '', name: '', command: '', show: vi.fn(), dispose: vi.fn() } as Record<string, unknown>;
    const model = running();
    const busy = vi.fn();
    const bar = new StatusBar(item as never, model, 'mistral-vscode.showMenu', busy);
    expect(item.command).toBe('mistral-vscode.showMenu');
    expect(item.text).toBe('$(sparkle) Mistral');
    expect(item.accessibilityInformation).toEqual({ label: 'Mistral: idle', role: 'button' });
    model.onProgress('t', { kind: 'begin', title: 'Mistral: Review' });
    expect(item.text).toBe('$(loading~spin) Mistral: Review…');
    model.onProgress('t', { kind: 'end' });
    expect(busy.mock.calls.map((c) => c[0])).toEqual([false, true, false]);
    model.setServer('failed');
    expect((item.backgroundColor as { id: string }).id).toBe('statusBarItem.errorBackground');
    bar.dispose();
    expect(item.dispose).toHaveBeenCalled();
  });
});

describe('no API key', () => {
  it('keeps saying so in the idle item until a key is set', () => {
    const model = running();
    model.setKeyMissing(true);
    expect(model.view()).toMatchObject({ text: '$(key) Mistral: set API key', label: 'Mistral: idle, no API key', severity: 'warning' });
    model.setKeyMissing(false);
    expect(model.view().text).toBe('$(sparkle) Mistral');
  });
});
