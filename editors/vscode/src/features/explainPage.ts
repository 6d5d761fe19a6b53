/**
 * The explain view's page (a webview document): the current answer with its question and lookup
 * lines under the earlier turns of the conversation, the status line with Stop, and the
 * follow-up field. The extension posts `reset` and `render` messages (explainView.ts); the page
 * posts `ready`, `stop` and `followUp`. Scripts run under a nonce-only CSP. The page keeps its
 * last render in the webview state, from which the view is restored after a window reload.
 * Text keeps its spaces in table cells and inline code (two spaces there can be the point).
 */

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

/** The page's HTML, for a webview whose CSP source is `cspSource`, with the script `nonce`. */
export function explainPageHtml(cspSource: string, nonce: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src ${cspSource} 'unsafe-inline'; script-src 'nonce-${nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>Mistral</title>
<style>
body { font-family: var(--vscode-markdown-font-family, var(--vscode-font-family)); font-size: var(--vscode-markdown-font-size, 14px); line-height: 1.6; padding: 0 20px 20px; color: var(--vscode-foreground); }
#status { color: var(--vscode-descriptionForeground); font-style: italic; min-height: 1.5em; margin-top: 8px; }
pre, code { font-family: var(--vscode-editor-font-family); font-size: var(--vscode-editor-font-size); }
pre { background: var(--vscode-textCodeBlock-background); padding: 8px 12px; overflow-x: auto; white-space: pre-wrap; }
.plain { white-space: pre-wrap; }
td, th, code { white-space: pre-wrap; }
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
    vscodeApi.setState({ title: message.title });
  } else if (message.type === 'render') {
    vscodeApi.setState({ ...(vscodeApi.getState() ?? {}), render: message });
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
