/**
 * Inline completion (Codestral fill-in-the-middle ghost text). VS Code renders the server's
 * `textDocument/inlineCompletion` itself, through vscode-languageclient's inline completion
 * feature (Tab accepts, Esc dismisses, Ctrl+→ accepts a word). This module adds what the
 * client lacks: the on/off state in the status bar and the toggle command.
 *
 * On/off is the setting `mistral.completion.enabled` (off by default: every pause in typing
 * costs an API call). The toggle writes it to the user settings; the settings change reaches
 * the server live (`workspace/didChangeConfiguration`), which then registers or unregisters
 * the provider with `client/registerCapability`, so no restart is needed.
 */
import type * as vscode from 'vscode';
import { CONFIG_SECTION } from '../common/constants';
import * as api from '../common/vscodeapi';

export const TOGGLE_COMPLETION_COMMAND = 'mistral-vscode.toggleCompletion';
const SETTING = 'completion.enabled';

export interface CompletionStatusView {
  text: string;
  label: string;
  tooltip: string;
}

/** What the status bar item shows for a state. */
export function completionStatus(on: boolean): CompletionStatusView {
  return {
    // The words differ, not only the icon: "Complete" with two icons read the same either way.
    text: on ? '$(sparkle) Completion on' : '$(circle-slash) Completion off',
    label: `Mistral completion: ${on ? 'on' : 'off'}`,
    tooltip: on
      ? 'Mistral inline completion is on (Codestral). Click or Ctrl+Alt+M to turn it off.'
      : 'Mistral inline completion is off. Click or Ctrl+Alt+M to turn it on (each pause in typing then calls the API).',
  };
}

export function completionEnabled(): boolean {
  return api.getConfiguration(CONFIG_SECTION).get<boolean>(SETTING, false) === true;
}

/** The status bar item showing whether inline completion is on; clicking it toggles. */
export class CompletionToggle implements vscode.Disposable {
  private readonly subscription: vscode.Disposable;

  constructor(private readonly item: vscode.StatusBarItem) {
    item.command = TOGGLE_COMPLETION_COMMAND;
    this.render();
    item.show();
    this.subscription = api.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration(`${CONFIG_SECTION}.${SETTING}`)) {
        this.render();
      }
    });
  }

  render(): void {
    const view = completionStatus(completionEnabled());
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.accessibilityInformation = { label: view.label };
  }

  /** Flips `mistral.completion.enabled` in the user settings; returns the new state. */
  async toggle(): Promise<boolean> {
    const on = !completionEnabled();
    // `true` is ConfigurationTarget.Global: the user settings, whatever workspace is open.
    await api.getConfiguration(CONFIG_SECTION).update(SETTING, on, true);
    this.render();
    return on;
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}
