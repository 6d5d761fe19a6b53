/**
 * The explain view: a webview beside the editor that renders the answer's markdown while it
 * streams in through `mistral/stream` (the command runs with `showResult: false`). Markdown is
 * rendered by VS Code's own markdown extension (`markdown.api.render`) under a strict CSP.
 * Closing the view, or its Stop button, cancels a run still streaming. Code blocks come back
 * from the markdown extension with highlight.js classes but without its stylesheet: HIGHLIGHT_CSS
 * colours them per theme kind (the webview's body carries `vscode-light` / `vscode-dark` /
 * `vscode-high-contrast`), in the colours of VS Code's default themes.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { traceVerbose } from '../common/log';
import type { StreamRouter, StreamState } from '../common/stream';
import * as api from '../common/vscodeapi';

const RENDER_INTERVAL_MS = 80;
/** How long a streaming render waits for the markdown extension before showing plain text. */
const MARKDOWN_WARMUP_WAIT_MS = 200;

/** highlight.js token colours for the default Light+ / Dark+ themes (high contrast: Dark+). */
export const HIGHLIGHT_CSS = `
  .hljs-comment, .hljs-quote { color: #008000; font-style: italic; }
  .hljs-keyword, .hljs-literal, .hljs-symbol, .hljs-name, .hljs-selector-tag, .hljs-meta .hljs-keyword { color: #0000ff; }
  .hljs-string, .hljs-regexp, .hljs-addition, .hljs-template-tag { color: #a31515; }
  .hljs-number { color: #098658; }
  .hljs-title, .hljs-title.function_, .hljs-section { color: #795e26; }
  .hljs-built_in, .hljs-type, .hljs-title.class_, .hljs-class .hljs-title { color: #267f99; }
  .hljs-variable, .hljs-attr, .hljs-attribute, .hljs-params, .hljs-property { color: #001080; }
  .hljs-meta { color: #af00db; }
  .hljs-deletion { color: #a31515; text-decoration: line-through; }
  body.vscode-dark .hljs-comment, body.vscode-high-contrast .hljs-comment, body.vscode-dark .hljs-quote { color: #6a9955; }
  body.vscode-dark .hljs-keyword, body.vscode-high-contrast .hljs-keyword, body.vscode-dark .hljs-literal, body.vscode-high-contrast .hljs-literal,
  body.vscode-dark .hljs-symbol, body.vscode-dark .hljs-name, body.vscode-dark .hljs-selector-tag { color: #569cd6; }
  body.vscode-dark .hljs-string, body.vscode-high-contrast .hljs-string, body.vscode-dark .hljs-regexp, body.vscode-dark .hljs-addition { color: #ce9178; }
  body.vscode-dark .hljs-number, body.vscode-high-contrast .hljs-number { color: #b5cea8; }
  body.vscode-dark .hljs-title, body.vscode-high-contrast .hljs-title, body.vscode-dark .hljs-section { color: #dcdcaa; }
  body.vscode-dark .hljs-built_in, body.vscode-high-contrast .hljs-built_in, body.vscode-dark .hljs-type, body.vscode-dark .hljs-title.class_ { color: #4ec9b0; }
  body.vscode-dark .hljs-variable, body.vscode-high-contrast .hljs-variable, body.vscode-dark .hljs-attr, body.vscode-dark .hljs-params, body.vscode-dark .hljs-property { color: #9cdcfe; }
  body.vscode-dark .hljs-meta, body.vscode-high-contrast .hljs-meta { color: #c586c0; }
`;

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
      } else if (message?.type === 'stop') {
        const run = this.run;
        if (run && !run.state.finished) {
          this.cancelRun(run.id);
        }
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
  #bar { display: flex; align-items: center; gap: 12px; margin-top: 8px; min-height: 1.9em; }
  #bar #status { margin-top: 0; }
  #stop { font: inherit; color: var(--vscode-button-secondaryForeground); background: var(--vscode-button-secondaryBackground); border: none; padding: 2px 10px; cursor: pointer; }
  #stop:hover { background: var(--vscode-button-secondaryHoverBackground); }
  #stop[hidden] { display: none; }
  ${HIGHLIGHT_CSS}
</style>
</head>
<body>
<div id="bar"><div id="status">Waiting for the model…</div><button id="stop" type="button" title="Stop this answer (the request to the model is cancelled)">Stop</button></div>
<main id="content" aria-live="polite"></main>
<script nonce="${nonce}">
  const vscodeApi = acquireVsCodeApi();
  const content = document.getElementById('content');
  const status = document.getElementById('status');
  const stop = document.getElementById('stop');
  stop.addEventListener('click', () => {
    stop.hidden = true;
    vscodeApi.postMessage({ type: 'stop' });
  });
  window.addEventListener('message', (event) => {
    const message = event.data;
    if (message.type === 'reset') {
      content.innerHTML = '';
      status.textContent = 'Waiting for the model…';
      stop.hidden = false;
    } else if (message.type === 'render') {
      content.innerHTML = message.html;
      status.textContent = message.status;
      stop.hidden = Boolean(message.done);
      document.body.dataset.done = String(message.done);
    }
  });
  vscodeApi.postMessage({ type: 'ready' });
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
