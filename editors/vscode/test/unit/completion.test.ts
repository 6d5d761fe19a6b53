import { beforeEach, describe, expect, it, vi } from 'vitest';
import * as vscode from 'vscode';
import { CompletionToggle, TOGGLE_COMPLETION_COMMAND } from '../../src/features/completion';
import { buildServerSettings, type Inspected } from '../../src/common/settings';
import packageJson from '../../package.json';

/** A user settings store behind `getConfiguration('mistral')`. */
function settingsStore(initial: Record<string, unknown>) {
  const values = { ...initial };
  const update = vi.fn(async (key: string, value: unknown) => {
    values[key] = value;
  });
  vi.mocked(vscode.workspace.getConfiguration).mockImplementation(
    () =>
      ({
        get: (key: string, fallback?: unknown) => (key in values ? values[key] : fallback),
        update,
      }) as unknown as vscode.WorkspaceConfiguration,
  );
  return { values, update };
}

function statusItem() {
  return { text: '', tooltip: '', command: '', accessibilityInformation: undefined, show: vi.fn(), dispose: vi.fn() };
}

describe('CompletionToggle', () => {
  beforeEach(() => vi.mocked(vscode.workspace.getConfiguration).mockReset());

  it('shows off by default, and the click runs the toggle command', () => {
    settingsStore({});
    const item = statusItem();
    new CompletionToggle(item as unknown as vscode.StatusBarItem);
    expect(item.accessibilityInformation).toEqual({ label: 'Mistral completion: off' });
    expect(item.text).toBe('$(circle-slash) Completion off');
    expect(item.command).toBe(TOGGLE_COMPLETION_COMMAND);
    expect(item.show).toHaveBeenCalled();
  });

  it('toggling writes completion.enabled to the user settings and shows the new state', async () => {
    const store = settingsStore({});
    const item = statusItem();
    const toggle = new CompletionToggle(item as unknown as vscode.StatusBarItem);
    expect(await toggle.toggle()).toBe(true);
    expect(store.update).toHaveBeenCalledWith('completion.enabled', true, true);
    expect(item.accessibilityInformation).toEqual({ label: 'Mistral completion: on' });
    expect(item.text).toBe('$(sparkle) Completion on');
    expect(await toggle.toggle()).toBe(false);
    expect(item.accessibilityInformation).toEqual({ label: 'Mistral completion: off' });
  });
});

describe('completion settings', () => {
  it('are sent to the server nested under completion', () => {
    const values: Record<string, Inspected> = {
      'completion.enabled': { defaultValue: false, globalValue: true },
      'completion.languages': { defaultValue: [], workspaceValue: ['python'] },
    };
    expect(buildServerSettings((key) => values[key])).toEqual({ completion: { enabled: true, languages: ['python'] } });
  });

  it('are contributed with the server defaults, and the toggle has a keybinding', () => {
    const properties = packageJson.contributes.configuration.properties as Record<string, { default?: unknown }>;
    expect(properties['mistral.completion.enabled']?.default).toBe(false);
    expect(properties['mistral.completion.model']?.default).toBe('codestral-latest');
    const bindings = (packageJson.contributes as { keybindings?: { command: string }[] }).keybindings ?? [];
    expect(bindings.map((b) => b.command)).toContain(TOGGLE_COMPLETION_COMMAND);
  });
});
