import { beforeEach, describe, expect, it, vi } from 'vitest';
import * as vscode from 'vscode';
import { ResponseError } from 'vscode-languageclient/node';

// vscode-languageclient `require`s the real `vscode` module, which only the extension host has.
vi.mock('vscode-languageclient/node', () => {
  class ResponseError extends Error {
    constructor(
      readonly code: number,
      message: string,
    ) {
      super(message);
    }
  }
  return { ResponseError, LSPErrorCodes: { RequestCancelled: -32800 } };
});
import { ReviewOnSaveToggle, type StateStore } from '../../src/common/reviewToggle';
import { registerLogger } from '../../src/common/log';
import { NotRunningError } from '../../src/common/server';
import { StatusModel } from '../../src/common/status';
import { Actions } from '../../src/features/actions';

const mock = vscode as unknown as {
  window: Record<string, ReturnType<typeof vi.fn>> & { activeTextEditor: unknown; showInputBox: ReturnType<typeof vi.fn> };
  languages: { getDiagnostics: ReturnType<typeof vi.fn> };
};

const URI = 'file:///w/buggy.py';
const range = (sl: number, sc: number, el: number, ec: number) => ({
  start: { line: sl, character: sc },
  end: { line: el, character: ec },
  isEmpty: sl === el && sc === ec,
  intersection: (other: { start: { line: number }; end: { line: number } }) =>
    other.start.line <= el && other.end.line >= sl ? other : undefined,
});

/** An in-memory `vscode.Memento`. */
function memento(): StateStore & { values: Map<string, unknown> } {
  const values = new Map<string, unknown>();
  return {
    values,
    get: <T>(key: string) => values.get(key) as T | undefined,
    update: async (key: string, value: unknown) => {
      if (value === undefined) values.delete(key);
      else values.set(key, value);
    },
  };
}

function setup(result: unknown = {}, configured = false, state = memento()) {
  const document = { uri: vscode.Uri.parse(URI), version: 7, getText: () => 'def add(a, b):\n    return a - b\n' };
  mock.window.activeTextEditor = { document, selection: range(1, 4, 1, 4) };
  (vscode.workspace as unknown as { textDocuments: unknown[] }).textDocuments = [document];
  const client = {
    code2ProtocolConverter: {
      asUri: (uri: vscode.Uri) => uri.toString(),
      asRange: (r: ReturnType<typeof range>) => ({ start: r.start, end: r.end }),
      asDiagnostics: async (d: unknown[]) => d.map((x) => ({ converted: x })),
    },
    protocol2CodeConverter: { asUri: (uri: string) => vscode.Uri.parse(uri) },
  };
  const server = {
    languageClient: client as unknown,
    executeCommand: vi.fn(async (_command: string, _arg?: object) => result),
  };
  const status = new StatusModel();
  status.setServer('running');
  const fixes = { show: vi.fn(async () => undefined) };
  const explainView = { start: vi.fn(), continue: vi.fn(), complete: vi.fn(), fail: vi.fn() };
  const toggle = new ReviewOnSaveToggle(state);
  const actions = new Actions(server as never, status, fixes as never, explainView as never, () => true, toggle, () => configured);
  return { actions, server, status, fixes, explainView, document, toggle, state };
}

beforeEach(() => {
  vi.clearAllMocks();
  mock.languages.getDiagnostics.mockReturnValue([
    { range: range(1, 4, 1, 16), message: 'on the target' },
    { range: range(9, 0, 9, 1), message: 'elsewhere' },
  ]);
});

describe('Actions', () => {
  it('Fix sends the target with preview: true and a run id, then shows the preview', async () => {
    const edit = { documentChanges: [] };
    const { actions, server, fixes, status, document } = setup({ id: 'fx-server-id', edit });
    const pending = actions.fix();
    await vi.waitFor(() => expect(server.executeCommand).toHaveBeenCalled());
    const [command, arg] = server.executeCommand.mock.calls[0]!;
    expect(command).toBe('mistral.fix');
    expect(arg).toMatchObject({
      uri: URI,
      range: { start: { line: 1, character: 4 }, end: { line: 1, character: 4 } },
      version: 7,
      preview: true,
      diagnostics: [{ converted: { range: expect.anything(), message: 'on the target' } }],
    });
    expect((arg as { id: string }).id).toMatch(/^vscode-fix-/);
    await pending;
    expect(status.busy).toBe(false);
    expect(fixes.show).toHaveBeenCalledWith(document, { text: document.getText(), version: 7 }, expect.objectContaining({ edit }), 'fx-server-id', URI);
  });

  it('Fix without an edit says why and opens no preview', async () => {
    const { actions, fixes } = setup({ message: 'the model answered no code' });
    await actions.fix();
    expect(fixes.show).not.toHaveBeenCalled();
    expect(mock.window.showInformationMessage).toHaveBeenCalledWith('Mistral: the model answered no code');
  });

  it('Review of a cursor (empty selection) reviews the whole file: range null', async () => {
    const { actions, server } = setup({ diagnostics: 2 });
    await actions.review();
    expect(server.executeCommand.mock.calls[0]![1]).toMatchObject({ uri: URI, range: null, version: 7 });
    expect(mock.window.showInformationMessage).toHaveBeenCalledWith('Mistral: 2 findings in buggy.py.', 'Show Problems');
  });

  it('Review of the whole file (range null) sends all the diagnostics, not only those at the cursor', async () => {
    const { actions, server } = setup({ diagnostics: 0 });
    await actions.review();
    const arg = server.executeCommand.mock.calls[0]![1] as { diagnostics: { converted: { message: string } }[] };
    expect(arg.diagnostics.map((d) => d.converted.message)).toEqual(['on the target', 'elsewhere']);
  });

  it('Explain asks for showResult: false and feeds the explain view', async () => {
    const { actions, server, explainView } = setup({ text: '# Explanation', cancelled: false });
    await actions.explain();
    const arg = server.executeCommand.mock.calls[0]![1] as { id: string; showResult: boolean };
    expect(arg.showResult).toBe(false);
    expect(explainView.start).toHaveBeenCalledWith(arg.id, 'buggy.py:2');
    expect(explainView.complete).toHaveBeenCalledWith(arg.id, { text: '# Explanation', cancelled: false }, false);
  });

  it('Ask asks for the question in an input box, then sends mistral.ask with it into the explain view', async () => {
    const { actions, server, explainView } = setup({ text: 'It adds.', conversationId: 'c1' });
    mock.window.showInputBox.mockResolvedValueOnce('  Who calls add?  ');
    await actions.ask();
    expect(mock.window.showInputBox).toHaveBeenCalledWith(expect.objectContaining({ title: 'Mistral: Ask about buggy.py:2' }));
    const [command, arg] = server.executeCommand.mock.calls[0]! as [string, { id: string; question: string; showResult: boolean; uri: string }];
    expect(command).toBe('mistral.ask');
    expect(arg).toMatchObject({ uri: URI, version: 7, question: 'Who calls add?', showResult: false });
    expect(explainView.start).toHaveBeenCalledWith(arg.id, 'buggy.py:2', 'Who calls add?', 'Ask');
    expect(explainView.complete).toHaveBeenCalledWith(arg.id, { text: 'It adds.', conversationId: 'c1' }, false);
  });

  it('Ask sends nothing when the input box is dismissed or left blank', async () => {
    const { actions, server, explainView } = setup({ text: 'x' });
    mock.window.showInputBox.mockResolvedValueOnce(undefined);
    await actions.ask();
    mock.window.showInputBox.mockResolvedValueOnce('   ');
    await actions.ask();
    expect(server.executeCommand).not.toHaveBeenCalled();
    expect(explainView.start).not.toHaveBeenCalled();
  });

  it("the server's Ask code action prompts for the question and keeps the action's target", async () => {
    const { actions, server } = setup({ text: 'x' });
    mock.window.showInputBox.mockResolvedValueOnce('Why?');
    const fromCodeAction = { uri: URI, range: { start: { line: 0, character: 0 }, end: { line: 1, character: 0 } }, version: 7, diagnostics: [] };
    await actions.route('mistral.ask', [fromCodeAction]);
    expect(server.executeCommand.mock.calls[0]).toEqual(['mistral.ask', expect.objectContaining({ ...fromCodeAction, question: 'Why?', showResult: false })]);
  });

  it('a follow-up sends mistral.ask with the question, the conversation id and the first target, at the current version', async () => {
    const { actions, server, explainView, document } = setup({ text: '# Explanation', conversationId: 'conv-1' });
    await actions.explain();
    const first = server.executeCommand.mock.calls[0]![1] as { range: unknown };
    (document as { version: number }).version = 9;
    await actions.followUp('And for an empty list?', 'conv-1');
    const [command, arg] = server.executeCommand.mock.calls[1]! as [string, { id: string }];
    expect(command).toBe('mistral.ask');
    expect(arg).toMatchObject({ uri: URI, range: first.range, version: 9, question: 'And for an empty list?', conversationId: 'conv-1', showResult: false });
    expect(explainView.continue).toHaveBeenCalledWith(arg.id, 'And for an empty list?');
    expect(explainView.complete).toHaveBeenLastCalledWith(arg.id, { text: '# Explanation', conversationId: 'conv-1' }, false);
  });

  it('"Mistral: Ask" from a code action asks for the question first and runs nothing without one', async () => {
    const { actions, server } = setup({ text: 'Because.' });
    const fromCodeAction = { uri: URI, range: { start: { line: 1, character: 4 }, end: { line: 1, character: 4 } }, version: 7 };
    mock.window.showInputBox!.mockResolvedValueOnce('  ');
    await actions.route('mistral.ask', [fromCodeAction]);
    expect(server.executeCommand).not.toHaveBeenCalled();
    mock.window.showInputBox!.mockResolvedValueOnce('Why subtract?');
    await actions.route('mistral.ask', [fromCodeAction]);
    // The answer streams into the explain view (showResult: false), which can take follow-ups.
    expect(server.executeCommand).toHaveBeenCalledWith('mistral.ask', expect.objectContaining({ ...fromCodeAction, question: 'Why subtract?', showResult: false }));
  });

  it("routes the server's code-action commands through the same flows, keeping their arguments", async () => {
    const { actions, server } = setup({ text: 'x' });
    const fromCodeAction = { uri: URI, range: { start: { line: 0, character: 0 }, end: { line: 1, character: 0 } }, version: 7, diagnostics: [] };
    await actions.route('mistral.explain', [fromCodeAction]);
    expect(server.executeCommand.mock.calls[0]![1]).toMatchObject({ ...fromCodeAction, showResult: false });
    expect(actions.route('mistral.cancel', [{}])).toBeUndefined();
    expect(actions.route('mistral.fix', ['not an argument object'])).toBeUndefined();
  });

  it('does not repeat errors the server already showed, but shows its own', async () => {
    const { actions, server } = setup();
    const channel = { error: vi.fn(), warn: vi.fn(), info: vi.fn(), debug: vi.fn(), appendLine: vi.fn() };
    registerLogger(channel as never);
    server.executeCommand.mockRejectedValueOnce(new ResponseError(-32803, 'HTTP 401: the API key was refused'));
    await actions.review();
    expect(mock.window.showErrorMessage).not.toHaveBeenCalled();
    // An expected failure is one warning line in the log, not an [error].
    expect(channel.warn).toHaveBeenCalledWith('Server error -32803: HTTP 401: the API key was refused');
    expect(channel.error).not.toHaveBeenCalled();
    actions.report(new NotRunningError());
    expect(mock.window.showErrorMessage).toHaveBeenCalledWith(expect.stringContaining('not running'), 'Restart Server', 'Show Logs');
  });

  it('asks for an open file when there is no editor', async () => {
    const { actions, server } = setup();
    mock.window.activeTextEditor = undefined;
    await actions.generateTests();
    expect(server.executeCommand).not.toHaveBeenCalled();
    expect(mock.window.showInformationMessage).toHaveBeenCalledWith('Mistral: open a file to generate tests.');
  });

  it('Toggle review on save shows the state the server answers', async () => {
    const { actions, status } = setup({ reviewOnSave: true });
    await actions.toggleReviewOnSave();
    expect(status.reviewOnSave).toBe(true);
  });

  it('keeps a toggle of review on save in workspace state, and forgets one that matches the settings', async () => {
    const state = memento();
    const { actions } = setup({ reviewOnSave: true }, false, state);
    await actions.toggleReviewOnSave();
    expect(state.values.get('mistral.reviewOnSaveToggle')).toBe(true);
    const back = setup({ reviewOnSave: false }, false, state);
    await back.actions.toggleReviewOnSave();
    expect(state.values.has('mistral.reviewOnSaveToggle')).toBe(false);
  });

  it('toggles a restarted server back to the workspace state, and leaves one that matches alone', async () => {
    const state = memento();
    await state.update('mistral.reviewOnSaveToggle', true);
    const restarted = setup({ reviewOnSave: true }, false, state);
    await restarted.actions.restoreReviewOnSave();
    expect(restarted.server.executeCommand).toHaveBeenCalledWith('mistral.toggleReviewOnSave');
    expect(restarted.status.reviewOnSave).toBe(true);
    expect(state.values.get('mistral.reviewOnSaveToggle')).toBe(true);

    const settingNowOn = setup({ reviewOnSave: true }, true, state);
    await settingNowOn.actions.restoreReviewOnSave();
    expect(settingNowOn.server.executeCommand).not.toHaveBeenCalled();
  });

  it('Generate Tests says which file got the tests, created or appended, with an Open button', async () => {
    const { actions } = setup({ applied: true, testUri: 'file:///w/tests/test_buggy.py', testFileCreated: true });
    (vscode.window as unknown as { visibleTextEditors: unknown[] }).visibleTextEditors = [
      { document: { uri: vscode.Uri.parse('file:///w/tests/test_buggy.py') } },
    ];
    await actions.generateTests();
    expect(mock.window.showInformationMessage).toHaveBeenCalledWith(
      'Mistral: created tests/test_buggy.py with the new tests (not saved yet).',
      'Open',
    );
    const appended = setup({ applied: true, testUri: 'file:///w/tests/test_buggy.py', testFileCreated: false });
    await appended.actions.generateTests();
    expect(mock.window.showInformationMessage).toHaveBeenLastCalledWith(
      'Mistral: appended the new tests to tests/test_buggy.py (not saved yet).',
      'Open',
    );
  });
});
