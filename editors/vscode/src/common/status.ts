/**
 * The status bar item: idle, busy (a spinner while any `$/progress` run or request of ours is
 * open), or the server's trouble: stopped (with the cause), a missing or rejected API key, review
 * on save paused. The server pauses review on save after a key or model error until the settings
 * change, and says so in the message it shows (serverMessages.ts reads it). `StatusModel` is the pure state machine; `StatusBar` renders
 * it into a `vscode.StatusBarItem` whose click opens the Mistral menu.
 */
import { ThemeColor, type StatusBarItem } from 'vscode';

export type ServerState = 'starting' | 'running' | 'stopped' | 'failed';

export interface ProgressEvent {
  kind: 'begin' | 'report' | 'end';
  title?: string;
  message?: string;
}

interface Run {
  title: string;
  message?: string;
}

export interface StatusView {
  text: string;
  /** One line for screen readers (and the end-to-end test): the state in words. */
  label: string;
  tooltip: string;
  busy: boolean;
  /** `error` / `warning` for the item's background, undefined when all is well. */
  severity?: 'error' | 'warning';
}

export class StatusModel {
  server: ServerState = 'starting';
  serverDetail: string | undefined;
  reviewOnSave = false;
  /** No API key anywhere (and Mistral's own API): the idle item says so until one is set. */
  keyMissing = false;
  /** The API refused the key in use (401/403): the idle item says so until a key is set. */
  keyRejected = false;
  /** Why the server paused review on save, until the settings change or it restarts. */
  reviewPaused: string | undefined;
  private readonly progress = new Map<string, Run>();
  private readonly requests = new Map<string, Run>();
  private readonly listeners = new Set<() => void>();

  onDidChange(listener: () => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  private changed(): void {
    for (const listener of this.listeners) {
      listener();
    }
  }

  setServer(state: ServerState, detail?: string): void {
    this.server = state;
    this.serverDetail = detail;
    if (state !== 'running') {
      // Progress of a server that went away never ends.
      this.progress.clear();
    }
    if (state === 'starting') {
      // A new server reviews on save again.
      this.reviewPaused = undefined;
    }
    this.changed();
  }

  setKeyMissing(missing: boolean): void {
    this.keyMissing = missing;
    this.changed();
  }

  setKeyRejected(rejected: boolean): void {
    this.keyRejected = rejected;
    this.changed();
  }

  /** The server paused review on save (`reason`), or resumed it (undefined: the settings changed). */
  setReviewPaused(reason: string | undefined): void {
    this.reviewPaused = reason;
    this.changed();
  }

  setReviewOnSave(on: boolean): void {
    this.reviewOnSave = on;
    this.changed();
  }

  /** Folds in one `$/progress` value for `token`. */
  onProgress(token: string | number, event: ProgressEvent): void {
    const key = String(token);
    if (event.kind === 'begin') {
      this.progress.set(key, { title: event.title ?? 'Mistral', ...(event.message ? { message: event.message } : {}) });
    } else if (event.kind === 'report') {
      const run = this.progress.get(key);
      if (!run) {
        return;
      }
      if (event.message) {
        run.message = event.message;
      }
    } else {
      this.progress.delete(key);
    }
    this.changed();
  }

  /** A request of ours is in flight (busy even if the server sends no progress). */
  requestStarted(id: string, title: string): void {
    this.requests.set(id, { title });
    this.changed();
  }

  requestEnded(id: string): void {
    if (this.requests.delete(id)) {
      this.changed();
    }
  }

  get busy(): boolean {
    return this.progress.size > 0 || this.requests.size > 0;
  }

  get runCount(): number {
    // A request of ours usually has a progress token too: count the larger set.
    return Math.max(this.progress.size, this.requests.size);
  }

  view(): StatusView {
    const review = `Review on save: ${this.reviewOnSave ? 'on' : 'off'}`;
    const menu = 'Click for the Mistral menu.';
    switch (this.server) {
      case 'starting':
        return { text: '$(loading~spin) Mistral', label: 'Mistral: starting', tooltip: `Mistral: starting the server…\n${menu}`, busy: false };
      case 'failed':
      case 'stopped':
        // A server that failed to start or stopped on its own: the cause, and the way back.
        return {
          text: '$(error) Mistral: server stopped',
          label: 'Mistral: server stopped',
          tooltip: `Mistral: the server stopped${this.serverDetail ? ` (${this.serverDetail})` : ''}.\nClick to restart it or show the logs.`,
          busy: false,
          severity: 'error',
        };
      case 'running':
        break;
    }
    if (this.busy) {
      const runs = [...this.progress.values()];
      const latest = runs[runs.length - 1] ?? [...this.requests.values()].pop();
      const count = this.runCount;
      const label = latest ? `${latest.title.replace(/^Mistral:\s*/, '')}${latest.message ? ` — ${latest.message}` : '…'}` : 'working…';
      const lines = [...runs, ...(runs.length ? [] : [...this.requests.values()])].map(
        (run) => `• ${run.title}${run.message ? ` — ${run.message}` : ''}`,
      );
      return {
        text: `$(loading~spin) Mistral: ${label}${count > 1 ? ` (+${count - 1})` : ''}`,
        label: `Mistral: working, ${label}`,
        tooltip: `Mistral is working:\n${lines.join('\n')}\n${review}\n${menu}`,
        busy: true,
      };
    }
    const paused = this.reviewOnSave && this.reviewPaused !== undefined;
    const pausedLine = paused ? `\nReview on save is paused: ${this.reviewPaused}. It resumes when a setting changes or a key is set.` : '';
    if (this.keyRejected) {
      return {
        text: `$(key) Mistral: key rejected${paused ? ', review paused' : ''}`,
        label: `Mistral: API key rejected${paused ? ', review on save paused' : ''}`,
        tooltip: `Mistral: the API rejected the key in use; the actions need a valid one.${pausedLine}\n${menu} ("Set API key")`,
        busy: false,
        severity: 'error',
      };
    }
    if (paused) {
      return {
        text: '$(debug-pause) Mistral: review on save paused',
        label: 'Mistral: review on save paused',
        tooltip: `Mistral: idle${pausedLine}\n${menu}`,
        busy: false,
        severity: 'warning',
      };
    }
    if (this.keyMissing) {
      return {
        text: '$(key) Mistral: set API key',
        label: 'Mistral: idle, no API key',
        tooltip: `Mistral: no API key is set; the actions need one.\n${review}\n${menu} ("Set API key")`,
        busy: false,
        severity: 'warning',
      };
    }
    return {
      text: this.reviewOnSave ? '$(eye) Mistral' : '$(sparkle) Mistral',
      label: this.reviewOnSave ? 'Mistral: idle, review on save on' : 'Mistral: idle',
      tooltip: `Mistral: idle\n${review}\n${menu}`,
      busy: false,
    };
  }
}

/** Renders the model into a status bar item. */
export class StatusBar {
  private readonly subscription: { dispose(): void };

  constructor(
    private readonly item: StatusBarItem,
    private readonly model: StatusModel,
    command: string,
    private readonly onBusyChange: (busy: boolean) => void = () => undefined,
  ) {
    item.name = 'Mistral';
    item.command = command;
    this.subscription = model.onDidChange(() => this.render());
    this.render();
    item.show();
  }

  private lastBusy: boolean | undefined;

  render(): void {
    const view = this.model.view();
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.accessibilityInformation = { label: view.label, role: 'button' };
    this.item.backgroundColor = view.severity ? new ThemeColor(`statusBarItem.${view.severity}Background`) : undefined;
    if (view.busy !== this.lastBusy) {
      this.lastBusy = view.busy;
      this.onBusyChange(view.busy);
    }
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}
