import { beforeEach, describe, expect, it, vi } from 'vitest';
import * as vscode from 'vscode';
import { pendingItemView } from '../../src/features/fixPendingStatus';
import { decisionPrompt, FixPreview, type FixRunner, type PendingView } from '../../src/features/fixPreview';
import { lensesFor } from '../../src/features/hunkLens';
import { HunkTree } from '../../src/features/hunkTree';
import { decorationsFor } from '../../src/features/hunkView';
import { PendingHunks, type Hunk } from '../../src/features/pendingHunks';

const mock = vscode as unknown as {
  window: Record<string, ReturnType<typeof vi.fn>> & { activeTextEditor: unknown };
  commands: { executeCommand: ReturnType<typeof vi.fn> };
  tabs: { input: unknown }[];
  documentChange: { fire(e: { document: unknown; contentChanges: { range: unknown; text: string }[] }): void };
};

const URI = 'file:///w/stats.py';
const OTHER = 'file:///w/other.py';
const ORIGINAL = [
  'def mean(values):',
  '    total = 0',
  '    for value in values:',
  '        total += value',
  '    count = len(values)',
  '    if count == 0:',
  '        return 0',
  '    result = total / count',
  '    return result + 1',
  '',
].join('\n');

function hunk(id: string, line: number, oldText: string, newText: string, uri = URI): Hunk {
  const lines = oldText ? oldText.split('\n').length - 1 : 0;
  return { id, uri, range: { start: { line, character: 0 }, end: { line: line + lines, character: 0 } }, oldText, newText, version: 3, label: 'stats.py :: mean' };
}
const H1 = hunk('h1', 1, '    total = 0\n', '    total = 0.0\n');
const H2 = hunk('h2', 6, '        return 0\n', '        return None\n');
const H3 = hunk('h3', 8, '    return result + 1\n', '    return result\n');

const change = (line: number, character: number, text: string) => ({ range: { start: { line, character }, end: { line, character } }, text });

describe('PendingHunks', () => {
  it('finds the hunk at a line (its lines, or the line of its CodeLens just above)', () => {
    const hunks = new PendingHunks();
    hunks.set([H3, H1, H2]);
    expect(hunks.forUri(URI).map((h) => h.id)).toEqual(['h1', 'h2', 'h3']);
    expect(hunks.at(URI, 6)?.id).toBe('h2');
    expect(hunks.at(URI, 5)?.id).toBe('h2');
    expect(hunks.at(URI, 3)).toBeUndefined();
    expect(hunks.at(OTHER, 6)).toBeUndefined();
  });

  it('moves the hunks below an edit, marks the one whose lines it touches, and keeps that across a redraw', () => {
    const hunks = new PendingHunks();
    hunks.set([H1, H2, H3]);
    expect(hunks.follow(URI, change(3, 0, '        # note\n'))).toBe(true);
    expect(hunks.get('h1')?.range.start.line).toBe(1);
    expect(hunks.get('h2')?.range.start.line).toBe(7);
    expect(hunks.get('h3')?.range.start.line).toBe(9);
    hunks.follow(URI, change(9, 4, 'x'));
    expect(hunks.get('h3')?.editedLine).toBe(9);
    expect(hunks.get('h2')?.editedLine).toBeUndefined();
    // The server's pending list replaces the ranges; what it does not know is kept by id.
    hunks.update([H3], new Map([['h3', 'because']]));
    expect(hunks.all).toEqual([{ ...H3, editedLine: 9, refused: 'because' }]);
  });
});

describe('decorationsFor', () => {
  it('strikes the removed lines and shows each added line after the line it replaces', () => {
    const two = hunk('h9', 4, '    count = len(values)\n', '    count = len(values)\n    assert count\n');
    const { removed, added } = decorationsFor([H2, two], 10);
    expect(removed).toEqual([
      { line: 6, hunkId: 'h2' },
      { line: 4, hunkId: 'h9' },
    ]);
    expect(added).toEqual([
      { line: 6, text: '  ⟶         return None', hunkId: 'h2' },
      { line: 4, text: '  ⟶     count = len(values)', hunkId: 'h9' },
      { line: 4, text: '  ⟶     assert count', hunkId: 'h9' },
    ]);
  });

  it('shows an insertion on the line above it, and a deletion as removed lines only', () => {
    const insertion = hunk('h1', 3, '', '        print(value)\n');
    const deletion = hunk('h2', 8, '    return result + 1\n', '');
    expect(decorationsFor([insertion, deletion], 10)).toEqual({
      removed: [{ line: 8, hunkId: 'h2' }],
      added: [{ line: 2, text: '  ⟶         print(value)', hunkId: 'h1' }],
    });
  });
});

describe('lensesFor', () => {
  it('puts Accept | Reject above each hunk, with its id, and Accept All | Reject All above the first', () => {
    const lenses = lensesFor([H1, H2], 3);
    expect(lenses.map((lens) => [lens.line, lens.title, lens.command, lens.arguments])).toEqual([
      [1, '$(check) Accept', 'mistral-vscode.acceptHunk', ['h1']],
      [1, '$(close) Reject', 'mistral-vscode.rejectHunk', ['h1']],
      [1, 'Accept All (3)', 'mistral-vscode.acceptFix', []],
      [1, 'Reject All', 'mistral-vscode.rejectFix', []],
      [6, '$(check) Accept', 'mistral-vscode.acceptHunk', ['h2']],
      [6, '$(close) Reject', 'mistral-vscode.rejectHunk', ['h2']],
    ]);
  });

  it('says why a hunk was not applied', () => {
    const titles = lensesFor([{ ...H2, refused: 'line 7 was edited' }], 1).map((lens) => lens.title);
    expect(titles).toEqual(['$(check) Accept', '$(close) Reject', '$(warning) Not applied: line 7 was edited']);
  });
});

describe('Review all (the tree of pending hunks)', () => {
  it('lists the files, then their hunks top to bottom; opening a hunk reveals it by id; a refused one says why', () => {
    const hunks = new PendingHunks();
    hunks.set([H3, hunk('h4', 0, 'import os\n', '', OTHER), H1]);
    hunks.update(hunks.all, new Map([['h3', 'its lines were edited']]));
    const changed = new vscode.EventEmitter<void>();
    const tree = new HunkTree(hunks, changed.event);
    const files = tree.getChildren();
    expect(files).toEqual([
      { kind: 'file', uri: URI, count: 2 },
      { kind: 'file', uri: OTHER, count: 1 },
    ]);
    expect(tree.getTreeItem(files[0]!)).toMatchObject({ label: 'stats.py', description: '2 changes' });
    const items = tree.getChildren(files[0]).map((node) => tree.getTreeItem(node));
    expect(items.map((item) => [item.label, item.description, item.command?.arguments])).toEqual([
      ['line 2', 'total = 0.0', ['h1']],
      ['line 9', 'not applied: its lines were edited', ['h3']],
    ]);
    expect(items[0]!.command?.command).toBe('mistral-vscode.revealHunk');
    const refreshed = vi.fn();
    tree.onDidChangeTreeData(refreshed);
    changed.fire();
    expect(refreshed).toHaveBeenCalled();
    tree.dispose();
  });
});

describe('decisionPrompt', () => {
  it('says that an inline fix of several changes is decided change by change, or all at once', () => {
    expect(decisionPrompt('calc.py', 'Rename add', 1, 3)).toBe(
      'Mistral: apply this fix to calc.py? Rename add. It also changes 1 other file(s). 3 changes: Accept or Reject each with the CodeLens above it, or all here.',
    );
  });
});

describe('the status item of an inline fix', () => {
  it('counts the pending changes across files', () => {
    expect(pendingItemView({ id: 'fx', name: 'stats.py', hunks: 3, files: 1 })).toMatchObject({
      text: '$(diff) Mistral: 3 changes pending',
      label: 'Mistral: fix pending for stats.py, 3 changes',
    });
    expect(pendingItemView({ id: 'fx', name: 'stats.py', hunks: 1, files: 2 }).label).toBe('Mistral: fix pending for stats.py and 1 other file, 1 change');
  });
});

describe('FixPreview with hunks (inline)', () => {
  const document = { uri: vscode.Uri.parse(URI), getText: () => ORIGINAL, version: 3 } as unknown as vscode.TextDocument;
  const edit = { documentChanges: [{ textDocument: { uri: URI, version: 3 }, edits: [H1, H2, H3].map((h) => ({ range: h.range, newText: h.newText })) }] };
  const proposal = { id: 'fx1', edit, hunks: [H1, H2, H3] };

  function runner(answers: Record<string, unknown>) {
    const executeCommand = vi.fn(async (command: string, _arg?: object) => answers[command] ?? {});
    return { executeCommand } as FixRunner & { executeCommand: typeof executeCommand };
  }

  beforeEach(() => {
    vi.clearAllMocks();
    mock.tabs.length = 0;
    mock.commands.executeCommand.mockImplementation(async () => undefined);
  });

  it('opens no diff, accepts one hunk by id and redraws from the pending hunks the server returns', async () => {
    const run = runner({ 'mistral.acceptFix': { applied: true, appliedHunks: ['h2'], refused: [], pending: [H1, H3] } });
    const preview = new FixPreview(run);
    const views: (PendingView | undefined)[] = [];
    preview.onDidChangePending((view) => views.push(view));
    await preview.show(document, { text: ORIGINAL, version: 3 }, proposal, 'fx1', URI);
    expect(mock.commands.executeCommand).not.toHaveBeenCalledWith('vscode.diff', expect.anything(), expect.anything(), expect.anything(), expect.anything());
    expect(mock.commands.executeCommand).toHaveBeenCalledWith('setContext', 'mistral.hunksPending', true);
    expect(preview.hunks.count).toBe(3);
    expect(views.at(-1)).toMatchObject({ hunks: 3, files: 1 });

    await preview.acceptHunk('h2');
    expect(run.executeCommand).toHaveBeenCalledWith('mistral.acceptFix', { id: 'fx1', hunks: ['h2'] });
    expect(preview.hunks.all.map((h) => h.id)).toEqual(['h1', 'h3']);
    expect(views.at(-1)).toMatchObject({ hunks: 2 });
    expect(preview.pendingId).toBe('fx1');
    preview.dispose();
  });

  it('the hunk at the cursor is rejected alone; the last decision ends the proposal', async () => {
    const run = runner({ 'mistral.rejectFix': { rejected: true, pending: [] } });
    const preview = new FixPreview(run);
    await preview.show(document, { text: ORIGINAL, version: 3 }, { ...proposal, hunks: [H3] }, 'fx1', URI);
    mock.window.activeTextEditor = { document, selection: { active: { line: 8, character: 2 } } };
    await preview.rejectHunk();
    expect(run.executeCommand).toHaveBeenCalledWith('mistral.rejectFix', { id: 'fx1', hunks: ['h3'] });
    expect(preview.hunks.count).toBe(0);
    expect(preview.pendingId).toBeUndefined();
    expect(mock.commands.executeCommand).toHaveBeenCalledWith('setContext', 'mistral.hunksPending', false);
    mock.window.activeTextEditor = undefined;
    preview.dispose();
  });

  it('a hunk whose lines were typed on is refused in the extension, with its reason; the others still apply', async () => {
    const run = runner({ 'mistral.acceptFix': { applied: true, appliedHunks: ['h2', 'h3'], refused: [], pending: [H1] } });
    const preview = new FixPreview(run);
    await preview.show(document, { text: ORIGINAL, version: 3 }, proposal, 'fx1', URI);
    mock.documentChange.fire({ document, contentChanges: [change(1, 13, ' # typed')] });

    await preview.acceptHunk('h1');
    expect(run.executeCommand).not.toHaveBeenCalledWith('mistral.acceptFix', expect.anything());
    expect(preview.hunks.get('h1')?.refused).toContain('line 2 was edited');
    expect(mock.window.showWarningMessage).toHaveBeenCalledWith(expect.stringContaining('the change at line 2 of stats.py was not applied'));

    // Accept all: the others apply; the edited one is dropped, and said.
    await preview.accept();
    expect(run.executeCommand).toHaveBeenCalledWith('mistral.acceptFix', { id: 'fx1', hunks: ['h2', 'h3'] });
    expect(run.executeCommand).toHaveBeenCalledWith('mistral.rejectFix', { id: 'fx1', hunks: ['h1'] });
    expect(mock.window.showWarningMessage).toHaveBeenLastCalledWith(expect.stringContaining('was edited on line 2, which a change of the fix touches'));
    expect(preview.pendingId).toBeUndefined();
    preview.dispose();
  });
});
