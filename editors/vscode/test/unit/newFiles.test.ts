import { beforeEach, describe, expect, it, vi } from 'vitest';
import * as vscode from 'vscode';
import { newFileEdit, UnsavedNewFiles, unsavedText } from '../../src/features/newFiles';

const mock = vscode as unknown as {
  workspace: {
    openTextDocument: ReturnType<typeof vi.fn>;
    applyEdit: ReturnType<typeof vi.fn>;
    fs: { stat: ReturnType<typeof vi.fn> };
    textDocuments: unknown[];
  };
  window: { showTextDocument: ReturnType<typeof vi.fn> };
};

const TEST_URI = 'file:///w/tests/test_buggy.py';
const at = (line: number, character = 0) => ({ line, character });
const CODE = 'from buggy import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n';
const createEdit = {
  documentChanges: [
    { kind: 'create', uri: TEST_URI, options: { ignoreIfExists: true } },
    { textDocument: { uri: TEST_URI, version: null }, edits: [{ range: { start: at(0), end: at(0) }, newText: CODE }] },
  ],
};

function untitledDocument(uri: vscode.Uri, text = '') {
  return { uri, getText: () => text, positionAt: (offset: number) => new vscode.Position(0, offset) };
}

beforeEach(() => {
  vi.clearAllMocks();
  mock.workspace.textDocuments.length = 0;
  mock.workspace.openTextDocument.mockImplementation(async (uri: vscode.Uri) => {
    const document = untitledDocument(uri);
    mock.workspace.textDocuments.push(document);
    return document;
  });
});

describe('newFileEdit', () => {
  it('finds a CreateFile and the inserts into that file', () => {
    expect(newFileEdit(createEdit)).toEqual({ uri: TEST_URI, edits: createEdit.documentChanges[1]!.edits });
  });

  it('leaves alone an edit of other files too, or without a CreateFile', () => {
    const other = { textDocument: { uri: 'file:///w/buggy.py', version: 3 }, edits: [] };
    expect(newFileEdit({ documentChanges: [...createEdit.documentChanges, other] })).toBeUndefined();
    expect(newFileEdit({ documentChanges: [createEdit.documentChanges[1]] })).toBeUndefined();
  });
});

describe('unsavedText', () => {
  it('is the inserted text, appended after what an unsaved document already holds', () => {
    const edits = createEdit.documentChanges[1]!.edits!;
    expect(unsavedText('', edits)).toBe(CODE);
    expect(unsavedText('def test_old():\n    pass\n', edits)).toBe(`def test_old():\n    pass\n\n\n${CODE}`);
  });
});

describe('UnsavedNewFiles', () => {
  it('puts a new file in an unsaved document with its path instead of creating it on disk', async () => {
    const files = new UnsavedNewFiles();
    const next = vi.fn();
    const result = await files.handleApplyEdit({ edit: createEdit as never }, next);
    expect(result).toEqual({ applied: true });
    expect(next).not.toHaveBeenCalled();
    const [edit] = mock.workspace.applyEdit.mock.calls[0]! as [vscode.WorkspaceEdit & { replaced: [vscode.Uri, unknown, string][] }];
    expect(edit.replaced).toHaveLength(1);
    expect(edit.replaced[0]![0].toString()).toBe('untitled:/w/tests/test_buggy.py');
    expect(edit.replaced[0]![2]).toBe(CODE);
    // The server's showDocument and the extension's own "Open" find the unsaved document.
    expect(files.resolve(vscode.Uri.parse(TEST_URI)).toString()).toBe('untitled:/w/tests/test_buggy.py');
    const shown = await files.showDocument({ uri: TEST_URI, takeFocus: true, selection: { start: at(3), end: at(3) } }, undefined as never, vi.fn());
    expect(shown).toEqual({ success: true });
    expect(mock.window.showTextDocument).toHaveBeenCalledWith(expect.objectContaining({ uri: expect.objectContaining({ scheme: 'untitled' }) }), expect.anything());
    // Saved or closed: the file itself again.
    mock.workspace.textDocuments.length = 0;
    expect(files.resolve(vscode.Uri.parse(TEST_URI)).toString()).toBe(TEST_URI);
  });

  it('lets VS Code apply an edit to a file that exists', async () => {
    mock.workspace.fs.stat.mockResolvedValueOnce({ type: 1 });
    const files = new UnsavedNewFiles();
    const next = vi.fn(async () => ({ applied: true }));
    await files.handleApplyEdit({ edit: createEdit as never }, next);
    expect(next).toHaveBeenCalled();
    expect(mock.workspace.applyEdit).not.toHaveBeenCalled();
  });
});
