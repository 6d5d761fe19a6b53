/**
 * Which lines of the source a previewed fix changes, followed through the user's edits: an edit
 * above them moves them, an edit on or touching them makes the preview stale. Accept then refuses
 * in the extension, whatever the server could rebase (docs: README, "Fix preview").
 */
import type { Range, TextEdit } from '../common/edits';

/** 0-based, inclusive line span. */
export interface LineSpan {
  start: number;
  end: number;
}

/** A change to the source document, as `TextDocumentContentChangeEvent` gives it. */
export interface SourceChange {
  range: Range;
  text: string;
}

/** The lines the edits replace or insert at; undefined without edits. */
export function editedLines(edits: readonly TextEdit[]): LineSpan | undefined {
  if (!edits.length) {
    return undefined;
  }
  return {
    start: Math.min(...edits.map((edit) => edit.range.start.line)),
    end: Math.max(...edits.map((edit) => edit.range.end.line)),
  };
}

/**
 * The span after `change`: moved when the change is entirely above it, 'touched' when the change
 * is on one of its lines (typing at the end of a changed line counts), unchanged when below.
 */
export function followChange(span: LineSpan, change: SourceChange): LineSpan | 'touched' {
  const { start, end } = change.range;
  if (start.line > span.end) {
    return span;
  }
  if (end.line < span.start) {
    const delta = change.text.split(/\r\n|\r|\n/).length - 1 - (end.line - start.line);
    return { start: span.start + delta, end: span.end + delta };
  }
  return 'touched';
}
