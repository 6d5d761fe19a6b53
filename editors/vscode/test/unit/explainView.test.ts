import { beforeEach, describe, expect, it, vi } from 'vitest';
import * as vscode from 'vscode';
import { StreamRouter } from '../../src/common/stream';
import { escapeHtml, ExplainView, lookupHtml, restoredRender } from '../../src/features/explainView';
import { explainPageHtml } from '../../src/features/explainPage';
import type { FakePanel } from './mocks/vscode';

const mock = vscode as unknown as {
  commands: { executeCommand: ReturnType<typeof vi.fn> };
  panels: FakePanel[];
};

const msg = (fields: Record<string, unknown>) => ({ id: 'e1', action: 'explain', uri: 'file:///a.py', ...fields });
const lastRender = (panel: FakePanel) => [...panel.posted].reverse().find((m) => m.type === 'render');

beforeEach(() => {
  vi.clearAllMocks();
  mock.panels.length = 0;
});

describe('ExplainView', () => {
  it('renders the streamed markdown beside the editor, then the final answer', async () => {
    mock.commands.executeCommand.mockImplementation(async (command: string, text: string) =>
      command === 'markdown.api.render' ? `<p>${text}</p>` : undefined,
    );
    const router = new StreamRouter();
    const view = new ExplainView(router, vi.fn());
    view.start('e1', 'a.py:3');
    const panel = mock.panels[0]!;
    expect(panel.title).toBe('Explain: a.py:3');
    expect(panel.webview.html).toContain("script-src 'nonce-");
    router.handle(msg({ delta: 'Hello ' }));
    await vi.waitFor(() => expect(lastRender(panel)).toMatchObject({ html: '<p>Hello </p>', status: 'Mistral is writing…', done: false }));
    router.handle(msg({ delta: 'world', done: true }));
    view.complete('e1', { text: 'Hello world' }, false);
    await vi.waitFor(() => expect(lastRender(panel)).toMatchObject({ html: '<p>Hello world</p>', status: '', done: true }));
    view.dispose();
  });

  it('shows plain text while the markdown extension is still activating', async () => {
    let release: (html: string) => void = () => undefined;
    mock.commands.executeCommand.mockImplementation((command: string) =>
      command === 'markdown.api.render' ? new Promise<string>((resolve) => (release = resolve)) : Promise.resolve(undefined),
    );
    const router = new StreamRouter();
    const view = new ExplainView(router, vi.fn());
    view.start('e1', 'a.py');
    const panel = mock.panels[0]!;
    router.handle(msg({ delta: 'a <b> & `c`' }));
    await vi.waitFor(() =>
      expect(lastRender(panel)).toMatchObject({ html: `<div class="plain">${escapeHtml('a <b> & `c`')}</div>` }),
    );
    release('<p>ok</p>');
    view.dispose();
  });

  it('falls back to escaped text when markdown rendering fails, and shows failures', async () => {
    mock.commands.executeCommand.mockImplementation(async (command: string) => {
      if (command === 'markdown.api.render') {
        throw new Error('no markdown extension');
      }
      return undefined;
    });
    const router = new StreamRouter();
    const view = new ExplainView(router, vi.fn());
    view.start('e1', 'a.py');
    const panel = mock.panels[0]!;
    router.handle(msg({ delta: '<script>x</script>' }));
    view.fail('e1', 'HTTP 401: the API key was refused');
    await vi.waitFor(() =>
      expect(lastRender(panel)).toMatchObject({
        html: '<div class="plain">&lt;script&gt;x&lt;/script&gt;</div>',
        status: 'Failed: HTTP 401: the API key was refused',
        done: true,
      }),
    );
    view.dispose();
  });

  it('closing the view cancels a run that is still streaming, but not a finished one', () => {
    mock.commands.executeCommand.mockResolvedValue('<p></p>');
    const cancel = vi.fn();
    const router = new StreamRouter();
    const view = new ExplainView(router, cancel);
    view.start('e1', 'a.py');
    mock.panels[0]!.dispose();
    expect(cancel).toHaveBeenCalledWith('e1');

    view.start('e2', 'a.py');
    view.complete('e2', { text: 'done' }, false);
    mock.panels[1]!.dispose();
    expect(cancel).toHaveBeenCalledTimes(1);
  });

  it('its Stop button cancels the streaming run, and does nothing once the answer is complete', () => {
    mock.commands.executeCommand.mockResolvedValue('<p></p>');
    const cancel = vi.fn();
    const view = new ExplainView(new StreamRouter(), cancel);
    view.start('e1', 'a.py');
    const panel = mock.panels[0]!;
    expect(panel.webview.html).toContain('id="stop"');
    panel.receive.fire({ type: 'stop' });
    expect(cancel).toHaveBeenCalledWith('e1');
    view.complete('e1', { text: 'done' }, false);
    panel.receive.fire({ type: 'stop' });
    expect(cancel).toHaveBeenCalledTimes(1);
  });

  it('colours highlighted code blocks for light and dark themes', () => {
    mock.commands.executeCommand.mockResolvedValue('<p></p>');
    const view = new ExplainView(new StreamRouter(), vi.fn());
    view.start('e1', 'a.py');
    const html = mock.panels[0]!.webview.html;
    expect(html).toMatch(/\.hljs-keyword[^{]*\{ color: #0000ff; \}/);
    expect(html).toMatch(/body\.vscode-dark \.hljs-string[^{]*\{ color: #ce9178; \}/);
  });

  it('reuses one panel and ignores the stream of a replaced run', async () => {
    mock.commands.executeCommand.mockImplementation(async (_c: string, text: string) => `<p>${text}</p>`);
    const router = new StreamRouter();
    const view = new ExplainView(router, vi.fn());
    view.start('e1', 'a.py');
    view.start('e2', 'b.py');
    expect(mock.panels).toHaveLength(1);
    expect(router.handle(msg({ id: 'e1', delta: 'old' }))).toBe(false);
    view.dispose();
  });

  it('shows a line per tool call while the answer streams, then the lookups the result lists', async () => {
    mock.commands.executeCommand.mockImplementation(async (_c: string, text: string) => `<p>${text}</p>`);
    const router = new StreamRouter();
    const view = new ExplainView(router, vi.fn());
    view.start('e1', 'a.py:3');
    const panel = mock.panels[0]!;
    router.handle(msg({ lookup: 'looking up `parse_header` — email/_header_value_parser.py' }));
    await vi.waitFor(() =>
      expect(lastRender(panel)).toMatchObject({
        lookups: '<ul><li>looking up <code>parse_header</code> — email/_header_value_parser.py</li></ul>',
        status: 'Mistral is looking things up in the workspace…',
      }),
    );
    router.handle(msg({ lookup: 'looking up `<b>` — x.py' }));
    router.handle(msg({ delta: 'It parses.', done: true }));
    await vi.waitFor(() => expect(lastRender(panel)?.lookups).toContain('<li>looking up <code>&lt;b&gt;</code> — x.py</li>'));
    view.complete('e1', { text: 'It parses.', context: { lookups: ['definition parse_header — email/_header_value_parser.py:1024'] } });
    await vi.waitFor(() =>
      expect(lastRender(panel)).toMatchObject({
        done: true,
        lookups: '<span class="label">Looked up</span><ul><li>definition parse_header — email/_header_value_parser.py:1024</li></ul>',
      }),
    );
    view.dispose();
  });

  it('becomes a conversation: the follow-up field sends the question with the last conversation id, earlier turns stay above', async () => {
    mock.commands.executeCommand.mockImplementation(async (_c: string, text: string) => `<p>${text}</p>`);
    const router = new StreamRouter();
    const followUp = vi.fn();
    const view = new ExplainView(router, vi.fn(), followUp);
    view.start('a1', 'a.py:3', 'Who calls parse?', 'Ask');
    const panel = mock.panels[0]!;
    expect(panel.title).toBe('Ask: a.py:3');
    expect(panel.webview.html).toContain('id="followup"');
    await vi.waitFor(() => expect(lastRender(panel)).toMatchObject({ question: 'Who calls parse?', canFollowUp: false, turn: 1 }));
    // No follow-up while the answer streams.
    panel.receive.fire({ type: 'followUp', question: 'too early' });
    expect(followUp).not.toHaveBeenCalled();
    router.handle(msg({ id: 'a1', action: 'ask', lookup: 'looking up `parse` — p.py' }));
    view.complete('a1', { text: 'main calls it.', conversationId: 'conv-1', context: { lookups: ['references parse — p.py:4'] } });
    await vi.waitFor(() => expect(lastRender(panel)).toMatchObject({ html: '<p>main calls it.</p>', canFollowUp: true, done: true }));
    panel.receive.fire({ type: 'followUp', question: '  And tests?  ' });
    expect(followUp).toHaveBeenCalledWith('And tests?', 'conv-1');

    view.continue('a2', 'And tests?');
    await vi.waitFor(() => expect(lastRender(panel)).toMatchObject({ question: 'And tests?', turn: 2, canFollowUp: false, done: false, html: '' }));
    const history = String(lastRender(panel)?.history);
    expect(history).toContain('<div class="question">Who calls parse?</div>');
    expect(history).toContain('references parse — p.py:4');
    expect(history).toContain('<p>main calls it.</p>');
    router.handle(msg({ id: 'a2', action: 'ask', delta: 'test_main does.' }));
    await vi.waitFor(() => expect(lastRender(panel)).toMatchObject({ html: '<p>test_main does.</p>' }));
    // A cancelled follow-up keeps the conversation: the next follow-up continues it.
    view.complete('a2', { text: 'test_main does.', cancelled: true });
    await vi.waitFor(() => expect(lastRender(panel)).toMatchObject({ status: 'Cancelled.', canFollowUp: true }));
    panel.receive.fire({ type: 'followUp', question: 'Again?' });
    expect(followUp).toHaveBeenLastCalledWith('Again?', 'conv-1');

    // A new explain starts a new conversation.
    view.start('e3', 'b.py');
    expect(panel.posted.at(-1)).toMatchObject({ type: 'reset' });
    await vi.waitFor(() => expect(lastRender(panel)).toMatchObject({ history: '', turn: 1, canFollowUp: false, question: '' }));
    view.dispose();
  });

  it('offers no follow-up after an answer without a conversation id (a server without ask)', async () => {
    mock.commands.executeCommand.mockImplementation(async (_c: string, text: string) => `<p>${text}</p>`);
    const followUp = vi.fn();
    const view = new ExplainView(new StreamRouter(), vi.fn(), followUp);
    view.start('e1', 'a.py');
    const panel = mock.panels[0]!;
    view.complete('e1', { text: 'done' });
    await vi.waitFor(() => expect(lastRender(panel)).toMatchObject({ done: true, canFollowUp: false }));
    panel.receive.fire({ type: 'followUp', question: 'more?' });
    expect(followUp).not.toHaveBeenCalled();
    view.dispose();
  });

  it('escapes lookup lines, putting the looked-up name in code', () => {
    expect(lookupHtml('looking up `a<b` — <x>.py')).toBe('looking up <code>a&lt;b</code> — &lt;x&gt;.py');
  });
});

describe('the explain view across a window reload', () => {
  it("shows the page's last render again, finished and without the follow-up field", () => {
    const saved = { title: 'add', render: { type: 'render', html: '<p>done</p>', status: '', done: true, turn: 1, canFollowUp: true } };
    expect(restoredRender(saved)).toMatchObject({ type: 'render', html: '<p>done</p>', done: true, canFollowUp: false });
    const cut = { render: { type: 'render', html: '<p>half</p>', status: 'Mistral is writing…', done: false } };
    expect(restoredRender(cut)).toMatchObject({ done: true, status: 'Stopped: the window was reloaded.' });
    expect(restoredRender(undefined)).toBeUndefined();
  });

  it('keeps the spaces inside table cells and inline code', () => {
    expect(explainPageHtml('csp', 'nonce')).toMatch(/td, th, code \{ white-space: pre-wrap; \}/);
  });
});
