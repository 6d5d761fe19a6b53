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

export function statusLine(state: Pick<StreamState, 'status' | 'error' | 'chunks' | 'lookups'>): string {
  switch (state.status) {
    case 'streaming':
      if (state.chunks) {
        return 'Mistral is writing…';
      }
      return state.lookups.length ? 'Mistral is looking things up in the workspace…' : 'Waiting for the model…';
    case 'done':
      return '';
    case 'cancelled':
      return 'Cancelled.';
    case 'failed':
      return `Failed: ${state.error ?? 'unknown error'}`;
  }
}

/** What a finished run tells the view: the generated `ActionResult`'s fields it shows. */
export interface TurnResult {
  text?: string;
  cancelled?: boolean | null;
  conversationId?: string | null;
  context?: { lookups?: string[] | null } | null;
}

/** One question and its answer (an explain's first turn has no question). */
interface Turn {
  id: string;
  question: string | undefined;
  state: StreamState;
  subscription: { dispose(): void };
  /** The result's `context.lookups` once the run ended (else the streamed `lookup` lines). */
  lookups: string[] | undefined;
  /** The finished answer's HTML, kept for the history above the next turns. */
  html: string;
}

/** Asks the extension to continue the conversation with a follow-up question. */
export type FollowUpHandler = (question: string, conversationId: string) => void;

/** A lookup line as HTML: escaped, with its `name` in code. */
export function lookupHtml(line: string): string {
  return escapeHtml(line).replace(/`([^`]+)`/g, '<code>$1</code>');
}

/** The lookup lines of a turn: while it streams, the `lookup` notifications; then the result's list. */
export function lookupsHtml(lines: readonly string[], final: boolean): string {
  if (!lines.length) {
    return '';
  }
  const label = final ? '<span class="label">Looked up</span>' : '';
  return `${label}<ul>${lines.map((line) => `<li>${lookupHtml(line)}</li>`).join('')}</ul>`;
}

/** An earlier turn of the conversation, as it stays above the later ones. */
function earlierTurnHtml(turn: Turn): string {
  const question = turn.question ? `<div class="question">${escapeHtml(turn.question)}</div>` : '';
  const lookups = lookupsHtml(turn.lookups ?? turn.state.lookups, Boolean(turn.lookups));
  const status = statusLine(turn.state);
  return (
    `<section class="turn">${question}` +
    (lookups ? `<div class="lookups">${lookups}</div>` : '') +
    `<div class="answer">${turn.html}</div>` +
    (status ? `<div class="turn-status">${escapeHtml(status)}</div>` : '') +
    '</section>'
  );
}

export class ExplainView implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  /** The conversation: earlier turns, then the current one. */
  private turns: Turn[] = [];
  /** The conversation id of the latest result that had one: a follow-up continues it. */
  private conversationId: string | undefined;
  private renderTimer: ReturnType<typeof setTimeout> | undefined;
  private rendering = Promise.resolve();
  private markdownReady = false;

  constructor(
    private readonly streams: StreamRouter,
    private readonly cancelRun: (id: string) => void,
    private readonly followUp: FollowUpHandler = () => undefined,
  ) {}

  private get run(): Turn | undefined {
    return this.turns[this.turns.length - 1];
  }

  /** Opens (or reuses) the view for a new conversation and starts following its first run. */
  start(id: string, title: string, question?: string, kind = 'Explain'): StreamState {
    this.finishConversation();
    const panel = this.ensurePanel();
    panel.title = `${kind}: ${title}`;
    void panel.webview.postMessage({ type: 'reset', title });
    return this.addTurn(id, question);
  }

  /** A follow-up in the same conversation: the earlier turns stay above it. */
  continue(id: string, question: string): StreamState {
    this.ensurePanel();
    this.run?.subscription.dispose();
    return this.addTurn(id, question);
  }

  private addTurn(id: string, question: string | undefined): StreamState {
    const subscription = this.streams.subscribe(id, () => this.scheduleRender());
    this.turns.push({ id, question, state: subscription.state, subscription, lookups: undefined, html: '' });
    this.scheduleRender(0);
    return subscription.state;
  }

  complete(id: string, result: TurnResult | undefined, cancelled = false): void {
    const run = this.run;
    if (run?.id !== id) {
      return;
    }
    run.state.complete(result?.text, cancelled || Boolean(result?.cancelled));
    if (result?.context?.lookups?.length) {
      run.lookups = [...result.context.lookups];
    }
    if (result?.conversationId) {
      this.conversationId = result.conversationId;
    }
    this.scheduleRender(0);
  }

  fail(id: string, message: string): void {
    if (this.run?.id !== id) {
      return;
    }
    this.run.state.fail(message);
    this.scheduleRender(0);
  }

  /** Whether the panel can take a follow-up now: the last answer ended, and there is a conversation. */
  private get canFollowUp(): boolean {
    return Boolean(this.conversationId && this.run?.state.finished);
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
    panel.webview.onDidReceiveMessage((message: { type?: string; question?: unknown }) => {
      if (message?.type === 'ready') {
        this.scheduleRender(0);
      } else if (message?.type === 'stop') {
        const run = this.run;
        if (run && !run.state.finished) {
          this.cancelRun(run.id);
        }
      } else if (message?.type === 'followUp') {
        const question = typeof message.question === 'string' ? message.question.trim() : '';
        if (question && this.canFollowUp && this.conversationId) {
          this.followUp(question, this.conversationId);
        } else {
          // Not taken (a run still streams): give the field back.
          this.scheduleRender(0);
        }
      }
    });
    panel.onDidDispose(() => {
      this.panel = undefined;
      const run = this.run;
      if (run && !run.state.finished) {
        this.cancelRun(run.id);
      }
      this.finishConversation();
    });
    this.panel = panel;
    return panel;
  }

  private finishConversation(): void {
    this.run?.subscription.dispose();
    this.turns = [];
    this.conversationId = undefined;
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
    const finished = run.state.finished;
    const answer = await this.toHtml(run.state.text, finished);
    if (finished) {
      run.html = answer;
    }
    const earlier = this.turns.slice(0, -1);
    const history = earlier.map(earlierTurnHtml).join('');
    await panel.webview.postMessage({
      type: 'render',
      html: answer,
      status: statusLine(run.state),
      done: finished,
      history,
      turn: this.turns.length,
      question: run.question ?? '',
      lookups: lookupsHtml(run.lookups ?? run.state.lookups, Boolean(run.lookups)),
      canFollowUp: this.canFollowUp,
    });
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
<title>Mistral</title>
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
  .turn { border-bottom: 1px solid var(--vscode-panel-border, rgba(128, 128, 128, 0.35)); padding-bottom: 8px; margin-bottom: 8px; }
  .question { margin-top: 12px; padding: 6px 10px; border-left: 3px solid var(--vscode-textLink-foreground); background: var(--vscode-textBlockQuote-background); white-space: pre-wrap; }
  .question:empty, #lookups:empty { display: none; }
  .lookups, #lookups { margin-top: 8px; color: var(--vscode-descriptionForeground); font-size: 0.92em; }
  .lookups ul, #lookups ul { margin: 0; padding-left: 18px; }
  .lookups .label, #lookups .label { font-style: italic; }
  .turn-status { color: var(--vscode-descriptionForeground); font-style: italic; }
  #followup { display: flex; gap: 8px; align-items: flex-end; margin-top: 12px; }
  #followup[hidden] { display: none; }
  #question { flex: 1; font: inherit; font-family: var(--vscode-font-family); color: var(--vscode-input-foreground); background: var(--vscode-input-background); border: 1px solid var(--vscode-input-border, transparent); padding: 4px 6px; resize: vertical; min-height: 2.2em; }
  #question:focus { outline: 1px solid var(--vscode-focusBorder); }
  #send { font: inherit; color: var(--vscode-button-foreground); background: var(--vscode-button-background); border: none; padding: 4px 12px; cursor: pointer; }
  #send:hover { background: var(--vscode-button-hoverBackground); }
  #send:disabled, #question:disabled { opacity: 0.6; cursor: default; }
  ${HIGHLIGHT_CSS}
</style>
</head>
<body>
<div id="history"></div>
<section id="current">
<div id="current-question" class="question"></div>
<div id="lookups" aria-live="polite"></div>
<main id="content" aria-live="polite"></main>
</section>
<div id="bar"><div id="status">Waiting for the model…</div><button id="stop" type="button" title="Stop this answer (the request to the model is cancelled)">Stop</button></div>
<form id="followup" hidden>
<textarea id="question" rows="2" aria-label="Follow-up question" placeholder="Ask a follow-up… (Enter sends, Shift+Enter adds a line)"></textarea>
<button id="send" type="submit">Ask</button>
</form>
<script nonce="${nonce}">
  const vscodeApi = acquireVsCodeApi();
  const history = document.getElementById('history');
  const currentQuestion = document.getElementById('current-question');
  const lookups = document.getElementById('lookups');
  const content = document.getElementById('content');
  const status = document.getElementById('status');
  const stop = document.getElementById('stop');
  const followup = document.getElementById('followup');
  const question = document.getElementById('question');
  const send = document.getElementById('send');
  let turn = 0;
  stop.addEventListener('click', () => {
    stop.hidden = true;
    vscodeApi.postMessage({ type: 'stop' });
  });
  followup.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = question.value.trim();
    if (!text || question.disabled) {
      return;
    }
    // Sent: the field waits for the answer (the next render gives it back).
    question.disabled = true;
    send.disabled = true;
    vscodeApi.postMessage({ type: 'followUp', question: text });
  });
  question.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      followup.requestSubmit();
    }
  });
  window.addEventListener('message', (event) => {
    const message = event.data;
    if (message.type === 'reset') {
      history.innerHTML = '';
      currentQuestion.textContent = '';
      lookups.innerHTML = '';
      content.innerHTML = '';
      status.textContent = 'Waiting for the model…';
      stop.hidden = false;
      followup.hidden = true;
      turn = 0;
    } else if (message.type === 'render') {
      const newTurn = message.turn !== turn;
      history.innerHTML = message.history ?? '';
      currentQuestion.textContent = message.question ?? '';
      lookups.innerHTML = message.lookups ?? '';
      content.innerHTML = message.html;
      status.textContent = message.status;
      stop.hidden = Boolean(message.done);
      document.body.dataset.done = String(message.done);
      document.body.dataset.turns = String(message.turn ?? 1);
      if (newTurn && turn > 0) {
        // A follow-up started: its question moved up from the field.
        question.value = '';
        currentQuestion.scrollIntoView({ block: 'start' });
      }
      // The field is there once an answer ended with a conversation to continue.
      const ready = Boolean(message.canFollowUp);
      const wasReady = !followup.hidden && !question.disabled;
      followup.hidden = !ready;
      question.disabled = !ready;
      send.disabled = !ready;
      if (ready && !wasReady && (message.turn ?? 1) > 1) {
        question.focus();
      }
      turn = message.turn ?? 1;
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
    this.finishConversation();
    this.panel?.dispose();
  }
}
