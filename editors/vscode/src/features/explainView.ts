/**
 * The explain view: a webview beside the editor that renders the answer's markdown while it
 * streams in through `mistral/stream` (the command runs with `showResult: false`), for explain
 * and ask. It is a conversation: earlier questions and answers stay above the current one, and
 * once an answer ended with a `conversationId`, a follow-up field at the bottom asks
 * `mistral.ask` to continue it (through the handler the extension gives). Each `lookup` of the
 * stream (a workspace tool call) shows as a line over the answer, replaced at the end by the
 * result's `context.lookups`. Markdown is rendered by VS Code's own markdown extension
 * (`markdown.api.render`) under a strict CSP. Closing the view, or its Stop button, cancels a run
 * still streaming. Code blocks come back from the markdown extension with highlight.js classes
 * but without its stylesheet: the page (explainPage.ts) colours them per theme kind.
 * After a window reload the view comes back (a `WebviewPanelSerializer`: `restore`) with the
 * page's last render, read-only: the conversation ended with the server that held it.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { traceVerbose } from '../common/log';
import type { StreamRouter, StreamState } from '../common/stream';
import * as api from '../common/vscodeapi';
import { explainPageHtml } from './explainPage';

const RENDER_INTERVAL_MS = 80;
/** How long a streaming render waits for the markdown extension before showing plain text. */
const MARKDOWN_WARMUP_WAIT_MS = 200;

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

export const EXPLAIN_VIEW_TYPE = 'mistral.explain';

/** What the page keeps in its webview state (explainPage.ts): its last `render` message. */
interface SavedPage {
  title?: string;
  render?: { status?: string; done?: boolean } & Record<string, unknown>;
}

/** The render message that shows a saved page again: finished, without the follow-up field. */
export function restoredRender(saved: unknown): Record<string, unknown> | undefined {
  const render = (saved as SavedPage | undefined)?.render;
  if (!render || typeof render !== 'object') {
    return undefined;
  }
  const status = render.done ? render.status : 'Stopped: the window was reloaded.';
  return { ...render, type: 'render', done: true, status: status ?? '', canFollowUp: false };
}

export class ExplainView implements vscode.Disposable {
  /** A restored page's last render, shown when the page is ready (until a new run starts). */
  private restored: Record<string, unknown> | undefined;
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
    this.restored = undefined;
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
    const panel = api.createWebviewPanel(EXPLAIN_VIEW_TYPE, 'Explain', {
      enableScripts: true,
      enableFindWidget: true,
      retainContextWhenHidden: true,
      localResourceRoots: [],
    });
    this.restored = undefined;
    return this.adopt(panel);
  }

  /** A panel VS Code kept across a window reload, with the page's saved state. */
  restore(panel: vscode.WebviewPanel, saved: unknown): void {
    if (this.panel) {
      panel.dispose();
      return;
    }
    panel.webview.options = { enableScripts: true, localResourceRoots: [] };
    this.restored = restoredRender(saved);
    this.adopt(panel);
  }

  private adopt(panel: vscode.WebviewPanel): vscode.WebviewPanel {
    panel.webview.html = explainPageHtml(panel.webview.cspSource, randomBytes(16).toString('base64'));
    // The first `markdown.api.render` activates the markdown extension (a second or more):
    // start that now, while the model is still thinking.
    void Promise.resolve(api.executeCommand('markdown.api.render', '')).catch(() => undefined);
    // Messages posted before the page listens are lost: it says when it is ready.
    panel.webview.onDidReceiveMessage((message: { type?: string; question?: unknown }) => {
      if (message?.type === 'ready') {
        if (this.restored && !this.turns.length) {
          void panel.webview.postMessage(this.restored);
        }
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

  dispose(): void {
    if (this.renderTimer) {
      clearTimeout(this.renderTimer);
    }
    this.finishConversation();
    this.panel?.dispose();
  }
}
