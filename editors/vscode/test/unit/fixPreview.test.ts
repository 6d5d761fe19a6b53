import { beforeEach, describe, expect, it, vi } from 'vitest';
import * as vscode from 'vscode';
import { ACCEPT, FixPreview, proposedText, REJECT, type FixRunner } from '../../src/features/fixPreview';
import { editedLines, followChange } from '../../src/features/fixLines';

const mock = vscode as unknown as {
  window: Record<string, ReturnType<typeof vi.fn>> & { visibleTextEditors: unknown[] };
  commands: { executeCommand: ReturnType<typeof vi.fn> };
  tabs: { input: unknown }[];
  documentChange: { fire(e: { document: unknown; contentChanges: { range: unknown; text: string }[] }): void };
  contentProviders: Map<string, { provideTextDocumentContent(uri: vscode.Uri): string }>;
  TabInputTextDiff: new (a: vscode.Uri, b: vscode.Uri) => unknown;
};

const URI = 'file:///w/buggy.py';
const ORIGINAL = 'def add(a, b):\n    return a - b\n';
const FIXED = 'def add(a, b):\n    return a + b\n';
const result = (version = 3) => ({
  id: 'fx1',
  edit: {
    documentChanges: [
      {
        textDocument: { uri: URI, version },
        edits: [{ range: { start: { line: 1, character: 13 }, end: { line: 1, character: 14 } }, newText: '+' }],
      },
    ],
  },
});

function documentWith(text: string, version: number) {
  return { uri: vscode.Uri.parse(URI), getText: () => text, version } as unknown as vscode.TextDocument;
}

function runner(acceptResult: unknown = { applied: true }) {
  const executeCommand = vi.fn(async (command: string, _arg?: object) => (command === 'mistral.acceptFix' ? acceptResult : {}));
  return { executeCommand } as FixRunner & { executeCommand: typeof executeCommand };
}

/** What the diff editor showed: [left, right, title]. */
let shown: [string, string, string] | undefined;

beforeEach(() => {
  vi.clearAllMocks();
  mock.tabs.length = 0;
  shown = undefined;
  // `vscode.diff` opens a diff tab that reads both sides, as VS Code would.
  mock.commands.executeCommand.mockImplementation(async (command: string, original: vscode.Uri, modified: vscode.Uri, title: string) => {
    if (command === 'vscode.diff') {
      const provider = mock.contentProviders.get(original.scheme)!;
      shown = [provider.provideTextDocumentContent(original), provider.provideTextDocumentContent(modified), title];
      mock.tabs.push({ input: new mock.TabInputTextDiff(original, modified) });
    }
    return undefined;
  });
});

describe('proposedText', () => {
  it('applies the edit to the text it was computed for', () => {
    const snapshot = { text: ORIGINAL, version: 3 };
    expect(proposedText(result(3), URI, snapshot, { text: `# new\n${ORIGINAL}`, version: 4 })).toEqual({
      base: ORIGINAL,
      proposed: FIXED,
      others: [],
    });
  });

  it('uses the current text when the server rebased the edit onto it', () => {
    const current = { text: `# new\n${ORIGINAL}`, version: 4 };
    const rebased = result(4);
    rebased.edit.documentChanges[0]!.edits[0]!.range = { start: { line: 2, character: 13 }, end: { line: 2, character: 14 } };
    expect(proposedText(rebased, URI, { text: ORIGINAL, version: 3 }, current)?.proposed).toBe(`# new\n${FIXED}`);
  });

  it('is undefined without an edit', () => {
    expect(proposedText({}, URI, { text: '', version: 1 }, { text: '', version: 1 })).toBeUndefined();
  });
});

describe('FixPreview', () => {
  it('shows a diff of the current and the fixed text, and Accept runs mistral.acceptFix', async () => {
    mock.window.showInformationMessage!.mockResolvedValueOnce(ACCEPT);
    const run = runner();
    const preview = new FixPreview(run);
    await preview.show(documentWith(ORIGINAL, 3), { text: ORIGINAL, version: 3 }, result(), 'fx1', URI);

    expect(shown).toEqual([ORIGINAL, FIXED, 'buggy.py: Mistral fix (read-only preview)']);
    expect(run.executeCommand).toHaveBeenCalledWith('mistral.acceptFix', { id: 'fx1' });
    expect(run.executeCommand).not.toHaveBeenCalledWith('mistral.rejectFix', expect.anything());
    expect(mock.tabs).toHaveLength(0); // the diff closed
    expect(mock.commands.executeCommand).toHaveBeenCalledWith('setContext', 'mistral.fixPending', false);
    expect(preview.pendingId).toBeUndefined();
    preview.dispose();
  });

  it("shows the model's explanation in the notification and the diff title, and reports the pending fix until decided", async () => {
    const run = runner();
    const preview = new FixPreview(run);
    const seen: unknown[] = [];
    preview.onDidChangePending((pending) => seen.push(pending));
    const explained = { ...result(), explanation: 'The subtraction should be an addition' };
    await preview.show(documentWith(ORIGINAL, 3), { text: ORIGINAL, version: 3 }, explained, 'fx1', URI);
    expect(shown?.[2]).toBe('buggy.py: Mistral fix (read-only) — The subtraction should be an addition');
    expect(mock.window.showInformationMessage).toHaveBeenCalledWith(
      'Mistral: apply this fix to buggy.py? The subtraction should be an addition.',
      ACCEPT,
      REJECT,
    );
    // The notification was dismissed: the fix is still pending, and said so.
    expect(seen).toEqual([{ id: 'fx1', name: 'buggy.py', explanation: 'The subtraction should be an addition' }]);
    await preview.reject();
    expect(seen).toEqual([expect.anything(), undefined]);
    preview.dispose();
  });

  it('Reject runs mistral.rejectFix and applies nothing', async () => {
    mock.window.showInformationMessage!.mockResolvedValueOnce(REJECT);
    const run = runner();
    const preview = new FixPreview(run);
    await preview.show(documentWith(ORIGINAL, 3), { text: ORIGINAL, version: 3 }, result(), 'fx1', URI);
    expect(run.executeCommand).toHaveBeenCalledWith('mistral.rejectFix', { id: 'fx1' });
    expect(run.executeCommand).not.toHaveBeenCalledWith('mistral.acceptFix', expect.anything());
    preview.dispose();
  });

  it('a dismissed notification leaves the fix pending for the title actions; closing the diff rejects it', async () => {
    const run = runner();
    const preview = new FixPreview(run);
    await preview.show(documentWith(ORIGINAL, 3), { text: ORIGINAL, version: 3 }, result(), 'fx1', URI);
    expect(preview.pendingId).toBe('fx1');
    await vscode.window.tabGroups.close(mock.tabs.slice() as never);
    await vi.waitFor(() => expect(run.executeCommand).toHaveBeenCalledWith('mistral.rejectFix', { id: 'fx1' }));
    expect(preview.pendingId).toBeUndefined();
    preview.dispose();
  });

  it('leaves the refusal of a stale fix to the server message, and closes the preview', async () => {
    const run = runner({ applied: false, message: 'the function changed since the fix was computed' });
    const preview = new FixPreview(run);
    const shown = preview.show(documentWith(ORIGINAL, 3), { text: ORIGINAL, version: 3 }, result(), 'fx1', URI);
    await shown;
    await preview.accept();
    expect(run.executeCommand).toHaveBeenCalledWith('mistral.acceptFix', { id: 'fx1' });
    expect(mock.window.showWarningMessage).not.toHaveBeenCalled();
    expect(mock.tabs).toHaveLength(0);
    expect(preview.pendingId).toBeUndefined();
    preview.dispose();
  });

  it('a newer fix rejects the older pending one and says so; the old notification\'s Accept says it was replaced', async () => {
    let pressFirst: (choice: string) => void = () => undefined;
    mock.window.showInformationMessage!.mockImplementationOnce(() => new Promise((resolve) => (pressFirst = resolve)));
    const run = runner();
    const preview = new FixPreview(run);
    const first = preview.show(documentWith(ORIGINAL, 3), { text: ORIGINAL, version: 3 }, result(), 'fx1', URI);
    await vi.waitFor(() => expect(preview.pendingId).toBe('fx1'));
    await preview.show(documentWith(ORIGINAL, 3), { text: ORIGINAL, version: 3 }, { ...result(), id: 'fx2' }, 'fx2', URI);
    expect(run.executeCommand).toHaveBeenCalledWith('mistral.rejectFix', { id: 'fx1' });
    expect(mock.window.showInformationMessage).toHaveBeenCalledWith('Mistral: the previous fix for buggy.py was replaced by a newer one and not applied.');
    expect(preview.pendingId).toBe('fx2');
    pressFirst(ACCEPT);
    await first;
    expect(run.executeCommand).not.toHaveBeenCalledWith('mistral.acceptFix', expect.anything());
    expect(mock.window.showInformationMessage).toHaveBeenCalledWith(
      'Mistral: that fix for buggy.py was replaced by a newer one, so it was not applied. Decide on the newer fix.',
    );
    expect(preview.pendingId).toBe('fx2');
    preview.dispose();
  });

  it('closing the diff says the fix was not applied; the notification\'s Accept then says it was closed', async () => {
    let press: (choice: string) => void = () => undefined;
    mock.window.showInformationMessage!.mockImplementationOnce(() => new Promise((resolve) => (press = resolve)));
    const run = runner();
    const preview = new FixPreview(run);
    const shown = preview.show(documentWith(ORIGINAL, 3), { text: ORIGINAL, version: 3 }, result(), 'fx1', URI);
    await vi.waitFor(() => expect(mock.tabs).toHaveLength(1));
    await vscode.window.tabGroups.close(mock.tabs.slice() as never);
    await vi.waitFor(() =>
      expect(mock.window.showInformationMessage).toHaveBeenCalledWith('Mistral: the fix preview for buggy.py was closed, so the fix was not applied.'),
    );
    press(ACCEPT);
    await shown;
    expect(run.executeCommand).not.toHaveBeenCalledWith('mistral.acceptFix', expect.anything());
    expect(mock.window.showInformationMessage).toHaveBeenCalledWith(
      'Mistral: that fix for buggy.py was closed with its preview, so it was not applied. Run Fix again to get it back.',
    );
    preview.dispose();
  });

  it('typing in the source on a line the fix changes makes Accept refuse, with a message', async () => {
    const run = runner();
    const preview = new FixPreview(run);
    const document = documentWith(ORIGINAL, 3);
    await preview.show(document, { text: ORIGINAL, version: 3 }, result(), 'fx1', URI);
    // " and more" typed at the end of `return a - b` (line 2).
    mock.documentChange.fire({
      document,
      contentChanges: [{ range: { start: { line: 1, character: 16 }, end: { line: 1, character: 16 } }, text: ' and more' }],
    });
    await preview.accept();
    expect(run.executeCommand).not.toHaveBeenCalledWith('mistral.acceptFix', expect.anything());
    expect(run.executeCommand).toHaveBeenCalledWith('mistral.rejectFix', { id: 'fx1' });
    expect(mock.window.showWarningMessage).toHaveBeenCalledWith(
      'Mistral: buggy.py was edited on line 2, which the fix changes, while the fix was previewed; the fix was not applied. Run Fix again.',
    );
    expect(mock.tabs).toHaveLength(0);
    expect(preview.pendingId).toBeUndefined();
    preview.dispose();
  });

  it('typing in the source away from the fix leaves Accept to the server (which rebases)', async () => {
    const run = runner();
    const preview = new FixPreview(run);
    const document = documentWith(ORIGINAL, 3);
    await preview.show(document, { text: ORIGINAL, version: 3 }, result(), 'fx1', URI);
    // A new first line moves the fix's line down; an edit of another document does nothing.
    mock.documentChange.fire({ document, contentChanges: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '# top\n' }] });
    mock.documentChange.fire({
      document: documentWith(ORIGINAL, 1),
      contentChanges: [{ range: { start: { line: 2, character: 0 }, end: { line: 2, character: 0 } }, text: 'x' }],
    });
    await preview.accept();
    expect(run.executeCommand).toHaveBeenCalledWith('mistral.acceptFix', { id: 'fx1' });
    expect(mock.window.showWarningMessage).not.toHaveBeenCalled();
    preview.dispose();
  });

  it('does not open a diff for an edit that changes nothing', async () => {
    const run = runner();
    const preview = new FixPreview(run);
    const noop = result();
    noop.edit.documentChanges[0]!.edits[0]!.newText = '-';
    await preview.show(documentWith(ORIGINAL, 3), { text: ORIGINAL, version: 3 }, noop, 'fx1', URI);
    expect(mock.commands.executeCommand).not.toHaveBeenCalledWith('vscode.diff', expect.anything(), expect.anything(), expect.anything(), expect.anything());
    expect(run.executeCommand).toHaveBeenCalledWith('mistral.rejectFix', { id: 'fx1' });
    expect(mock.window.showInformationMessage).toHaveBeenCalledWith('Mistral: the model proposed no change.');
    preview.dispose();
  });
});

describe('fix lines', () => {
  const at = (line: number, character = 0) => ({ line, character });
  it('spans the lines the edits change', () => {
    expect(editedLines([])).toBeUndefined();
    expect(
      editedLines([
        { range: { start: at(4, 2), end: at(4, 3) }, newText: '+' },
        { range: { start: at(2), end: at(3) }, newText: '' },
      ]),
    ).toEqual({ start: 2, end: 4 });
  });

  it('moves with edits above, stays with edits below, and is touched by an edit on its lines', () => {
    const span = { start: 5, end: 6 };
    expect(followChange(span, { range: { start: at(1), end: at(1) }, text: 'a\nb\n' })).toEqual({ start: 7, end: 8 });
    expect(followChange(span, { range: { start: at(1), end: at(3) }, text: '' })).toEqual({ start: 3, end: 4 });
    expect(followChange(span, { range: { start: at(7), end: at(9) }, text: 'x' })).toEqual(span);
    expect(followChange(span, { range: { start: at(6, 20), end: at(6, 20) }, text: ' and more' })).toBe('touched');
    expect(followChange(span, { range: { start: at(3), end: at(5, 1) }, text: '' })).toBe('touched');
  });
});
