import { beforeEach, describe, expect, it, vi } from 'vitest';
import * as vscode from 'vscode';
import { ACCEPT, FixPreview, proposedText, REJECT, type FixRunner } from '../../src/features/fixPreview';

const mock = vscode as unknown as {
  window: Record<string, ReturnType<typeof vi.fn>> & { visibleTextEditors: unknown[] };
  commands: { executeCommand: ReturnType<typeof vi.fn> };
  tabs: { input: unknown }[];
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

    expect(shown).toEqual([ORIGINAL, FIXED, 'buggy.py: Mistral fix (preview)']);
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
    expect(shown?.[2]).toBe('buggy.py: Mistral fix — The subtraction should be an addition');
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

  it('a newer fix rejects the older pending one', async () => {
    const run = runner();
    const preview = new FixPreview(run);
    await preview.show(documentWith(ORIGINAL, 3), { text: ORIGINAL, version: 3 }, result(), 'fx1', URI);
    await preview.show(documentWith(ORIGINAL, 3), { text: ORIGINAL, version: 3 }, { ...result(), id: 'fx2' }, 'fx2', URI);
    expect(run.executeCommand).toHaveBeenCalledWith('mistral.rejectFix', { id: 'fx1' });
    expect(preview.pendingId).toBe('fx2');
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
