/**
 * The explain view: a webview beside the editor that renders the answer's markdown while it
 * streams in through `mistral/stream` (the command runs with `showResult: false`). Markdown is
 * rendered by VS Code's own markdown extension (`markdown.api.render`) under a strict CSP.
 * Closing the view cancels a run still streaming.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { traceVerbose } from '../common/log';
import type { StreamRouter, StreamState } from '../common/stream';
import * as api from '../common/vscodeapi';

const RENDER_INTERVAL_MS = 80;
/** How long a streaming render waits for the markdown extension before showing plain text. */
const MARKDOWN_WARMUP_WAIT_MS = 200;

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

export function statusLine(state: Pick<StreamState, 'status' | 'error' | 'chunks'>): string {
  switch (state.status) {
    case 'streaming':
      return state.chunks ? 'Mistral is writing…' : 'Waiting for the model…';
    case 'done':
      return '';
    case 'cancelled':
      return 'Cancelled.';
    case 'failed':
      return `Failed: ${state.error ?? 'unknown error'}`;
  }
}

interface Run {
  id: string;
  state: StreamState;
  subscription: { dispose(): void };
}

export class ExplainView implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private run: Run | undefined;
  private renderTimer: ReturnType<typeof setTimeout> | undefined;
  private rendering = Promise.resolve();
  private markdownReady = false;

  constructor(
    private readonly streams: StreamRouter,
    private readonly cancelRun: (id: string) => void,
  ) {}

  /** Opens (or reuses) the view for a new run and starts following its stream. */
  start(id: string, title: string): StreamState {
    this.finishRun();
    const panel = this.ensurePanel();
    panel.title = `Explain: ${title}`;
    const subscription = this.streams.subscribe(id, () => this.scheduleRender());
    this.run = { id, state: subscription.state, subscription };
    void panel.webview.postMessage({ type: 'reset', title });
    this.scheduleRender();
    return subscription.state;
  }

  complete(id: string, text: string | undefined, cancelled: boolean): void {
    if (this.run?.id !== id) {
      return;
    }
    this.run.state.complete(text, cancelled);
    this.scheduleRender(0);
  }

  fail(id: string, message: string): void {
    if (this.run?.id !== id) {
      return;
    }
    this.run.state.fail(message);
    this.scheduleRender(0);
  }

  private ensurePanel(): vscode.WebviewPanel {
    if (this.panel) {
      this.panel.reveal(vscode.ViewColumn.Beside, true);
      return this.panel;
    }
    const panel = api.createWebviewPanel('mistral.explain', 'Explain', {
      enableScripts: true,
      enableFindWidget: true,
      retainContextWhenHidden: true,
      localResourceRoots: [],
    });
    panel.webview.html = this.html(panel.webview);
    // The first `markdown.api.render` activates the markdown extension (a second or more):
    // start that now, while the model is still thinking.
    void Promise.resolve(api.executeCommand('markdown.api.render', '')).catch(() => undefined);
    // Messages posted before the page listens are lost: it says when it is ready.
    panel.webview.onDidReceiveMessage((message: { type?: string }) => {
      if (message?.type === 'ready') {
        this.scheduleRender(0);
      }
    });
    panel.onDidDispose(() => {
      this.panel = undefined;
      const run = this.run;
      if (run && !run.state.finished) {
        this.cancelRun(run.id);
      }
      this.finishRun();
    });
    this.panel = panel;
    return panel;
  }

  private finishRun(): void {
    this.run?.subscription.dispose();
    this.run = undefined;
  }

  private scheduleRender(delay = RENDER_INTERVAL_MS): void {
    if (this.renderTimer && delay > 0) {
      return;
    }
    if (this.renderTimer) {
      clearTimeout(this.renderTimer);
    }
    this.renderTimer = setTimeout(() => {
      this.renderTimer = undefined;
      this.rendering = this.rendering.then(() => this.render());
    }, delay);
  }

  private async render(): Promise<void> {
    const run = this.run;
    const panel = this.panel;
    if (!run || !panel) {
      return;
    }
    const html = await this.toHtml(run.state.text, run.state.finished);
    await panel.webview.postMessage({ type: 'render', html, status: statusLine(run.state), done: run.state.finished });
  }

  /**
   * Markdown through VS Code's markdown extension. Its first call activates that extension,
   * which can take seconds: meanwhile a streaming answer shows as plain text rather than nothing.
   */
  private async toHtml(text: string, final: boolean): Promise<string> {
    if (!text) {
      return '';
    }
    const plain = `<div class="plain">${escapeHtml(text)}</div>`;
    const rendered = Promise.resolve(api.executeCommand<string>('markdown.api.render', text)).then(
      (html) => {
        if (typeof html !== 'string') {
          throw new Error('markdown.api.render returned no HTML');
        }
        this.markdownReady = true;
        return html;
      },
      (error: unknown) => {
        traceVerbose('markdown.api.render failed, showing plain text:', error);
        return plain;
      },
    );
    if (this.markdownReady || final) {
      return rendered;
    }
    const waited = await Promise.race([
      rendered,
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), MARKDOWN_WARMUP_WAIT_MS)),
    ]);
    return waited ?? plain;
  }

  private html(webview: vscode.Webview): string {
    const nonce = randomBytes(16).toString('base64');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src ${webview.cspSource} 'unsafe-inline'; script-src 'nonce-${nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>Explain</title>
<style>
  body { font-family: var(--vscode-markdown-font-family, var(--vscode-font-family)); font-size: var(--vscode-markdown-font-size, 14px); line-height: 1.6; padding: 0 20px 20px; color: var(--vscode-foreground); }
  #status { color: var(--vscode-descriptionForeground); font-style: italic; min-height: 1.5em; margin-top: 8px; }
  pre, code { font-family: var(--vscode-editor-font-family); font-size: var(--vscode-editor-font-size); }
  pre { background: var(--vscode-textCodeBlock-background); padding: 8px 12px; overflow-x: auto; white-space: pre-wrap; }
  .plain { white-space: pre-wrap; }
  :not(pre) > code { background: var(--vscode-textCodeBlock-background); padding: 1px 4px; border-radius: 3px; }
  a { color: var(--vscode-textLink-foreground); }
</style>
</head>
<body>
<div id="status">Waiting for the model…</div>
<main id="content" aria-live="polite"></main>
<script nonce="${nonce}">
  const content = document.getElementById('content');
  const status = document.getElementById('status');
  window.addEventListener('message', (event) => {
    const message = event.data;
    if (message.type === 'reset') {
      content.innerHTML = '';
      status.textContent = 'Waiting for the model…';
    } else if (message.type === 'render') {
      content.innerHTML = message.html;
      status.textContent = message.status;
      document.body.dataset.done = String(message.done);
    }
  });
  acquireVsCodeApi().postMessage({ type: 'ready' });
</script>
</body>
</html>`;
  }

  dispose(): void {
    if (this.renderTimer) {
      clearTimeout(this.renderTimer);
    }
    this.finishRun();
    this.panel?.dispose();
  }
}
