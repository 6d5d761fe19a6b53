import { describe, expect, it } from 'vitest';
import { applyTextEdits, editsForUri, otherUris, sameUri, type TextEdit } from '../../src/common/edits';

const edit = (sl: number, sc: number, el: number, ec: number, newText: string): TextEdit => ({
  range: { start: { line: sl, character: sc }, end: { line: el, character: ec } },
  newText,
});

describe('applyTextEdits', () => {
  const text = 'def add(a, b):\n    return a - b\n\n\ndef sub(a, b):\n    return a - b\n';

  it('replaces a range', () => {
    expect(applyTextEdits(text, [edit(1, 13, 1, 14, '+')])).toBe(text.replace('a - b', 'a + b'));
  });

  it('applies several edits given against the original text, in any order', () => {
    const result = applyTextEdits(text, [edit(5, 13, 5, 14, '+'), edit(1, 4, 1, 4, '# fixed\n    ')]);
    expect(result).toBe('def add(a, b):\n    # fixed\n    return a - b\n\n\ndef sub(a, b):\n    return a + b\n');
  });

  it('keeps the order of inserts at the same position', () => {
    expect(applyTextEdits('x', [edit(0, 0, 0, 0, 'a'), edit(0, 0, 0, 0, 'b')])).toBe('abx');
  });

  it('inserts at the end of the file and past the last line', () => {
    expect(applyTextEdits('a\n', [edit(1, 0, 1, 0, 'b\n')])).toBe('a\nb\n');
    expect(applyTextEdits('a', [edit(7, 0, 7, 0, '\nb')])).toBe('a\nb');
  });

  it('clamps a character past the end of a line to the line end, not into the next line', () => {
    expect(applyTextEdits('ab\ncd\n', [edit(0, 99, 0, 99, '!')])).toBe('ab!\ncd\n');
  });

  it('handles CRLF line endings', () => {
    expect(applyTextEdits('a\r\nb - c\r\n', [edit(1, 2, 1, 3, '+')])).toBe('a\r\nb + c\r\n');
    expect(applyTextEdits('a\r\nb\r\n', [edit(0, 5, 1, 0, '')])).toBe('ab\r\n');
  });

  it('counts characters in UTF-16 code units', () => {
    // '😀' is two UTF-16 code units.
    expect(applyTextEdits('s = "😀" + x', [edit(0, 11, 0, 12, 'y')])).toBe('s = "😀" + y');
  });

  it('deletes whole lines', () => {
    expect(applyTextEdits('a\nb\nc\n', [edit(1, 0, 2, 0, '')])).toBe('a\nc\n');
  });

  it('refuses overlapping edits', () => {
    expect(() => applyTextEdits('abcdef', [edit(0, 0, 0, 3, 'x'), edit(0, 2, 0, 4, 'y')])).toThrow(/overlapping/);
  });

  it('returns the text unchanged without edits', () => {
    expect(applyTextEdits(text, [])).toBe(text);
  });
});

describe('editsForUri', () => {
  const uri = 'file:///w/buggy.py';

  it('reads versioned TextDocumentEdits', () => {
    const result = editsForUri(
      { documentChanges: [{ textDocument: { uri, version: 7 }, edits: [edit(0, 0, 0, 0, 'x')] }] },
      uri,
    );
    expect(result.version).toBe(7);
    expect(result.edits).toHaveLength(1);
  });

  it('reads `changes` and ignores other documents and file operations', () => {
    const result = editsForUri(
      {
        changes: { [uri]: [edit(0, 0, 0, 0, 'x')], 'file:///w/other.py': [edit(0, 0, 0, 0, 'y')] },
        documentChanges: [{ kind: 'create', uri: 'file:///w/new.py' }],
      },
      uri,
    );
    expect(result).toEqual({ edits: [edit(0, 0, 0, 0, 'x')], version: null });
  });

  it('matches URIs that differ only in percent-encoding or drive-letter case', () => {
    expect(sameUri('file:///c%3A/a%20b.py', 'file:///C:/a b.py')).toBe(true);
    expect(sameUri('file:///a.py', 'file:///b.py')).toBe(false);
  });

  it('lists the other files an edit touches', () => {
    expect(
      otherUris(
        { documentChanges: [{ kind: 'create', uri: 'file:///w/t.py' }, { textDocument: { uri, version: 1 }, edits: [] }] },
        uri,
      ),
    ).toEqual(['file:///w/t.py']);
  });
});
