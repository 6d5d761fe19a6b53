/**
 * "Review all" (the Explorer's Mistral Fix view, shown while hunks wait): the files a fix
 * proposal changes and their hunks. Opening a hunk reveals it in its editor (where its
 * CodeLens accepts or rejects it); each hunk's inline buttons accept or reject it from here.
 */
import * as vscode from 'vscode';
import { Commands } from '../common/constants';
import * as api from '../common/vscodeapi';
import { addedLines, describeLines, type PendingHunk, type PendingHunks } from './pendingHunks';

export type ReviewNode = { kind: 'file'; uri: string; count: number } | { kind: 'hunk'; hunk: PendingHunk };

/** The first changed line of a hunk, as its description in the tree. */
export function hunkSummary(hunk: PendingHunk): string {
  const first = addedLines(hunk).find((line) => line.trim()) ?? addedLines({ newText: hunk.oldText }).find((line) => line.trim());
  return first ? first.trim() : '(removes lines)';
}

export class HunkTree implements vscode.TreeDataProvider<ReviewNode>, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changeEmitter.event;
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly hunks: PendingHunks,
    onDidChange: vscode.Event<void>,
  ) {
    this.subscription = onDidChange(() => this.changeEmitter.fire());
  }

  getChildren(node?: ReviewNode): ReviewNode[] {
    if (!node) {
      return this.hunks.files().map(({ uri, hunks }) => ({ kind: 'file', uri, count: hunks.length }));
    }
    if (node.kind === 'file') {
      return this.hunks.forUri(node.uri).map((hunk) => ({ kind: 'hunk', hunk }));
    }
    return [];
  }

  getTreeItem(node: ReviewNode): vscode.TreeItem {
    if (node.kind === 'file') {
      const uri = vscode.Uri.parse(node.uri);
      const item = new vscode.TreeItem(api.asRelativePath(uri), vscode.TreeItemCollapsibleState.Expanded);
      item.resourceUri = uri;
      item.description = `${node.count} change${node.count === 1 ? '' : 's'}`;
      item.contextValue = 'mistral.hunkFile';
      return item;
    }
    const hunk = node.hunk;
    const item = new vscode.TreeItem(describeLines(hunk), vscode.TreeItemCollapsibleState.None);
    item.id = `hunk:${hunk.id}`;
    item.description = hunk.refused ? `not applied: ${hunk.refused}` : hunkSummary(hunk);
    item.tooltip = `${hunk.label ?? ''}\n${hunk.refused ? `Not applied: ${hunk.refused}\n` : ''}Open to see it in its file.`.trim();
    item.iconPath = new vscode.ThemeIcon(hunk.refused ? 'warning' : 'diff');
    item.contextValue = 'mistral.hunk';
    item.command = { title: 'Show the change', command: Commands.revealHunk, arguments: [hunk.id] };
    return item;
  }

  dispose(): void {
    this.subscription.dispose();
    this.changeEmitter.dispose();
  }
}
