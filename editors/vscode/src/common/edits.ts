/**
 * Applying LSP text edits to a string, for the fix preview (the text with the fix applied).
 * Positions are UTF-16 code units, the only encoding vscode-languageclient offers.
 */

export interface Position {
  line: number;
  character: number;
}
export interface Range {
  start: Position;
  end: Position;
}
export interface TextEdit {
  range: Range;
  newText: string;
}
export interface TextDocumentEdit {
  textDocument: { uri: string; version?: number | null };
  edits: TextEdit[];
}
export interface WorkspaceEdit {
  changes?: Record<string, TextEdit[]>;
  documentChanges?: unknown[];
}

/** Offsets at which each line starts; a line ends at the next one's start (its EOL included). */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 13 /* \r */) {
      if (text.charCodeAt(i + 1) === 10) {
        i++;
      }
      starts.push(i + 1);
    } else if (c === 10 /* \n */) {
      starts.push(i + 1);
    }
  }
  return starts;
}

/** The offset of a position, clamped like VS Code does: past the end of a line is its end. */
export function offsetAt(text: string, starts: number[], position: Position): number {
  if (position.line < 0) {
    return 0;
  }
  if (position.line >= starts.length) {
    return text.length;
  }
  const start = starts[position.line] ?? 0;
  let end = position.line + 1 < starts.length ? (starts[position.line + 1] ?? text.length) : text.length;
  // The line's content ends before its EOL.
  while (end > start && (text.charCodeAt(end - 1) === 10 || text.charCodeAt(end - 1) === 13)) {
    end--;
  }
  return Math.min(start + Math.max(position.character, 0), end);
}

function comparePositions(a: Position, b: Position): number {
  return a.line - b.line || a.character - b.character;
}

/**
 * The text after applying `edits` (all relative to the original text, as LSP requires).
 * Edits at the same position apply in array order. Overlapping edits are an error.
 */
export function applyTextEdits(text: string, edits: readonly TextEdit[]): string {
  const starts = lineStarts(text);
  const sorted = edits
    .map((edit, index) => ({ edit, index }))
    .sort((a, b) => comparePositions(a.edit.range.start, b.edit.range.start) || a.index - b.index);
  let result = '';
  let cursor = 0;
  for (const { edit } of sorted) {
    const start = offsetAt(text, starts, edit.range.start);
    const end = Math.max(start, offsetAt(text, starts, edit.range.end));
    if (start < cursor) {
      throw new Error(`overlapping edits at line ${edit.range.start.line + 1}`);
    }
    result += text.slice(cursor, start) + edit.newText;
    cursor = end;
  }
  return result + text.slice(cursor);
}

/** Normalises a file URI for comparison (percent-encoding and drive-letter case differ between tools). */
export function sameUri(a: string, b: string): boolean {
  const norm = (uri: string): string => {
    let decoded: string;
    try {
      decoded = decodeURIComponent(uri);
    } catch {
      decoded = uri;
    }
    return decoded.replace(/^file:\/\/\/([A-Za-z]):/, (_m, drive: string) => `file:///${drive.toLowerCase()}:`);
  };
  return a === b || norm(a) === norm(b);
}

function isTextDocumentEdit(value: unknown): value is TextDocumentEdit {
  const v = value as TextDocumentEdit | undefined;
  return typeof v === 'object' && v !== null && typeof v.textDocument?.uri === 'string' && Array.isArray(v.edits);
}

/** The text edits a WorkspaceEdit makes to one document, and the version they were computed for. */
export function editsForUri(edit: WorkspaceEdit, uri: string): { edits: TextEdit[]; version: number | null } {
  const edits: TextEdit[] = [];
  let version: number | null = null;
  for (const change of edit.documentChanges ?? []) {
    if (isTextDocumentEdit(change) && sameUri(change.textDocument.uri, uri)) {
      edits.push(...change.edits);
      version = change.textDocument.version ?? version;
    }
  }
  for (const [changedUri, textEdits] of Object.entries(edit.changes ?? {})) {
    if (sameUri(changedUri, uri)) {
      edits.push(...textEdits);
    }
  }
  return { edits, version };
}

/** URIs other than `uri` that a WorkspaceEdit touches (a fix should not, but the preview says so). */
export function otherUris(edit: WorkspaceEdit, uri: string): string[] {
  const uris = new Set<string>();
  for (const change of edit.documentChanges ?? []) {
    if (isTextDocumentEdit(change)) {
      if (!sameUri(change.textDocument.uri, uri)) {
        uris.add(change.textDocument.uri);
      }
    } else if (typeof change === 'object' && change !== null) {
      const c = change as { uri?: string; oldUri?: string };
      const target = c.uri ?? c.oldUri;
      if (target && !sameUri(target, uri)) {
        uris.add(target);
      }
    }
  }
  for (const changedUri of Object.keys(edit.changes ?? {})) {
    if (!sameUri(changedUri, uri)) {
      uris.add(changedUri);
    }
  }
  return [...uris];
}
