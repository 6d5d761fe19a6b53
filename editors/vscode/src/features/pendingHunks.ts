/**
 * The hunks of a fix proposal still waiting for a decision, across files: what the inline view
 * (hunkView.ts), the CodeLenses (hunkLens.ts), the "Review all" tree (hunkTree.ts) and the status
 * item draw. The server's `pending` list (after each `mistral.acceptFix` / `mistral.rejectFix`)
 * replaces it; between two answers, the user's edits move the hunks below them, and an edit on a
 * hunk's lines marks it edited: Accept then refuses it in the extension (docs/protocol.md, hunks).
 */
import type { Range } from '../common/edits';
import type { Hunk } from '../generated/protocol';
import { followChange, type LineSpan, type SourceChange } from './fixLines';

/** One hunk of a proposal (the protocol's `Hunk`). */
export type { Hunk };

/** A hunk as the views show it: where it is now, and why it was refused, if it was. */
export interface PendingHunk extends Hunk {
  /** Set when an Accept was refused (by the extension or the server): said on the hunk. */
  refused?: string;
  /** The first line (0-based) the user edited on the hunk's lines since it was proposed. */
  editedLine?: number;
}

export interface FileHunks {
  uri: string;
  hunks: PendingHunk[];
}

/** The lines a hunk replaces (0-based, inclusive); an insertion has none (`undefined`). */
export function removedLines(hunk: Pick<Hunk, 'range'>): LineSpan | undefined {
  const { start, end } = hunk.range;
  const last = end.character === 0 ? end.line - 1 : end.line;
  return last >= start.line ? { start: start.line, end: last } : undefined;
}

/** The lines a hunk adds, without their line ends. */
export function addedLines(hunk: Pick<Hunk, 'newText'>): string[] {
  if (!hunk.newText) {
    return [];
  }
  return hunk.newText.replace(/\r?\n$/, '').split(/\r?\n/);
}

/** The line a hunk's lens, decorations and cursor test are anchored to. */
export function anchorLine(hunk: Pick<Hunk, 'range'>): number {
  return hunk.range.start.line;
}

/** "lines 4–6" / "line 4" / "after line 3": where a hunk is, 1-based, for lists and messages. */
export function describeLines(hunk: Pick<Hunk, 'range'>): string {
  const lines = removedLines(hunk);
  if (!lines) {
    return hunk.range.start.line === 0 ? 'at the top' : `after line ${hunk.range.start.line}`;
  }
  return lines.start === lines.end ? `line ${lines.start + 1}` : `lines ${lines.start + 1}–${lines.end + 1}`;
}

/** Said when Accept refuses a hunk whose lines the user edited. */
export function editedReason(line: number): string {
  return `line ${line + 1} was edited since the fix was proposed; Reject it, or run Fix again`;
}

function shifted(range: Range, delta: number): Range {
  return {
    start: { line: range.start.line + delta, character: range.start.character },
    end: { line: range.end.line + delta, character: range.end.character },
  };
}

export class PendingHunks {
  private hunks: PendingHunk[] = [];

  get count(): number {
    return this.hunks.length;
  }

  get all(): readonly PendingHunk[] {
    return this.hunks;
  }

  /** A new proposal: every hunk pending. */
  set(hunks: readonly Hunk[]): void {
    this.hunks = hunks.map((hunk) => ({ ...hunk }));
  }

  clear(): void {
    this.hunks = [];
  }

  /**
   * The server's `pending` after a decision: its ranges are the documents' now. What the
   * extension knows and the server does not (edited lines, refusal reasons) is kept by id.
   */
  update(pending: readonly Hunk[], refused: ReadonlyMap<string, string> = new Map()): void {
    const known = new Map(this.hunks.map((hunk) => [hunk.id, hunk]));
    this.hunks = pending.map((hunk) => {
      const before = known.get(hunk.id);
      const reason = refused.get(hunk.id) ?? before?.refused;
      return {
        ...hunk,
        ...(reason ? { refused: reason } : {}),
        ...(before?.editedLine !== undefined ? { editedLine: before.editedLine } : {}),
      };
    });
  }

  /** Drops hunks (decided without a server answer to redraw from). */
  remove(ids: readonly string[]): void {
    this.hunks = this.hunks.filter((hunk) => !ids.includes(hunk.id));
  }

  get(id: string): PendingHunk | undefined {
    return this.hunks.find((hunk) => hunk.id === id);
  }

  forUri(uri: string): PendingHunk[] {
    return this.hunks.filter((hunk) => hunk.uri === uri).sort((a, b) => a.range.start.line - b.range.start.line);
  }

  /** Files in first-seen order, each with its hunks top to bottom. */
  files(): FileHunks[] {
    const uris = [...new Set(this.hunks.map((hunk) => hunk.uri))];
    return uris.map((uri) => ({ uri, hunks: this.forUri(uri) }));
  }

  /** The hunk on `line` of `uri`: the one whose lines hold it, else the nearest one starting below within a line. */
  at(uri: string, line: number): PendingHunk | undefined {
    const hunks = this.forUri(uri);
    const on = hunks.find((hunk) => {
      const lines = removedLines(hunk);
      return lines ? lines.start <= line && line <= lines.end : false;
    });
    if (on) {
      return on;
    }
    // An insertion (or the line just above a hunk, where its CodeLens sits) counts for the line it is at.
    return hunks.find((hunk) => anchorLine(hunk) === line || anchorLine(hunk) === line + 1);
  }

  /** Follows the user's edit of `uri`: hunks below move, a hunk whose lines it touches is marked edited. */
  follow(uri: string, change: SourceChange): boolean {
    let changed = false;
    for (const hunk of this.hunks) {
      if (hunk.uri !== uri) {
        continue;
      }
      const span = removedLines(hunk) ?? { start: anchorLine(hunk), end: anchorLine(hunk) };
      const next = followChange(span, change);
      if (next === 'touched') {
        if (hunk.editedLine === undefined) {
          hunk.editedLine = change.range.start.line;
          changed = true;
        }
      } else if (next.start !== span.start) {
        hunk.range = shifted(hunk.range, next.start - span.start);
        changed = true;
      }
    }
    return changed;
  }
}
