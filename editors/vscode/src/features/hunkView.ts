/**
 * The inline view of a fix proposal, in the editors of the files it changes (as Continue and
 * Copilot show an edit): the lines a hunk removes are highlighted (red, struck through), the
 * lines it adds follow as ghost text after them (green), and hovering a hunk shows its whole
 * diff. Redrawn whenever the pending hunks change (pendingHunks.ts) or an editor shows.
 */
import * as vscode from 'vscode';
import * as api from '../common/vscodeapi';
import { addedLines, anchorLine, removedLines, type PendingHunk, type PendingHunks } from './pendingHunks';

/** What one editor shows of its hunks: pure, for the unit tests. */
export interface HunkDecorations {
  /** Whole lines the hunks remove. */
  removed: { line: number; hunkId: string }[];
  /** Ghost text after a line: an added line, or the marker of an insertion. */
  added: { line: number; text: string; hunkId: string }[];
}

const ADDED_PREFIX = '  ⟶ ';

/**
 * Each added line is shown after the removed line it replaces; the extra ones (or all of an
 * insertion's) after the hunk's last line, in order.
 */
export function decorationsFor(hunks: readonly PendingHunk[], lineCount: number): HunkDecorations {
  const removed: HunkDecorations['removed'] = [];
  const added: HunkDecorations['added'] = [];
  const lastLine = Math.max(lineCount - 1, 0);
  for (const hunk of hunks) {
    const lines = removedLines(hunk);
    const adds = addedLines(hunk);
    if (lines) {
      for (let line = lines.start; line <= Math.min(lines.end, lastLine); line++) {
        removed.push({ line, hunkId: hunk.id });
      }
    }
    // An insertion is shown on the line above it (its text goes below that line).
    const first = lines ? lines.start : Math.min(Math.max(anchorLine(hunk) - 1, 0), lastLine);
    const last = lines ? Math.min(lines.end, lastLine) : first;
    adds.forEach((text, index) => {
      const line = Math.min(first + index, last);
      added.push({ line, text: `${ADDED_PREFIX}${text.trim() ? text : '(empty line)'}`, hunkId: hunk.id });
    });
  }
  return { removed, added };
}

/** The hover of a hunk: its diff, and why Accept refused it. */
export function hoverFor(hunk: PendingHunk): vscode.MarkdownString {
  const diff = [
    ...addedLines({ newText: hunk.oldText }).map((line) => `- ${line}`),
    ...addedLines(hunk).map((line) => `+ ${line}`),
  ].join('\n');
  const hover = new vscode.MarkdownString();
  hover.appendMarkdown(`**Mistral fix** ${hunk.label ? `— ${hunk.label}` : ''}\n\n`);
  hover.appendCodeblock(diff, 'diff');
  if (hunk.refused) {
    hover.appendMarkdown(`\n\n⚠ Not applied: ${hunk.refused}`);
  }
  return hover;
}

export class HunkView implements vscode.Disposable {
  private readonly removedType = api.createTextEditorDecorationType({
    isWholeLine: true,
    backgroundColor: new vscode.ThemeColor('diffEditor.removedLineBackground'),
    textDecoration: 'line-through',
    overviewRulerColor: new vscode.ThemeColor('editorOverviewRuler.deletedForeground'),
    overviewRulerLane: vscode.OverviewRulerLane.Left,
  });
  private readonly addedType = api.createTextEditorDecorationType({
    after: {
      color: new vscode.ThemeColor('gitDecoration.addedResourceForeground'),
      fontStyle: 'italic',
      backgroundColor: new vscode.ThemeColor('diffEditor.insertedLineBackground'),
    },
    overviewRulerColor: new vscode.ThemeColor('editorOverviewRuler.addedForeground'),
    overviewRulerLane: vscode.OverviewRulerLane.Right,
  });
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly hunks: PendingHunks,
    onDidChange: vscode.Event<void>,
  ) {
    this.disposables.push(
      this.removedType,
      this.addedType,
      onDidChange(() => this.render()),
      api.onDidChangeVisibleTextEditors(() => this.render()),
    );
  }

  render(): void {
    for (const editor of api.visibleTextEditors()) {
      this.renderEditor(editor);
    }
  }

  private renderEditor(editor: vscode.TextEditor): void {
    const hunks = this.hunks.forUri(editor.document.uri.toString());
    const byId = new Map(hunks.map((hunk) => [hunk.id, hunk]));
    const { removed, added } = decorationsFor(hunks, editor.document.lineCount);
    editor.setDecorations(
      this.removedType,
      removed.map(({ line, hunkId }) => {
        const hunk = byId.get(hunkId);
        return { range: new vscode.Range(line, 0, line, 0), ...(hunk ? { hoverMessage: hoverFor(hunk) } : {}) };
      }),
    );
    editor.setDecorations(
      this.addedType,
      added.map(({ line, text }) => {
        const end = editor.document.lineAt(line).range.end;
        return { range: new vscode.Range(end, end), renderOptions: { after: { contentText: text } } };
      }),
    );
  }

  dispose(): void {
    for (const disposable of this.disposables) {
      disposable.dispose();
    }
  }
}
