/**
 * Generate Tests creates no file on disk until the tests are saved. The server's workspace edit
 * for a test file that does not exist yet (`CreateFile` plus inserts into it, docs/protocol.md)
 * becomes an untitled document with that path, unsaved: Save writes it there, closing it without
 * saving leaves nothing behind. Its `window/showDocument` shows that document. Every other edit
 * goes to VS Code as usual, and the server does the same for other clients.
 */
import * as vscode from 'vscode';
import type { ApplyWorkspaceEditRequest, Middleware, ShowDocumentRequest } from 'vscode-languageclient/node';
import { applyTextEdits, sameUri, type TextEdit, type WorkspaceEdit } from '../common/edits';
import { traceInfo } from '../common/log';
import * as api from '../common/vscodeapi';

interface CreateFile {
  kind: 'create';
  uri: string;
}

function isCreateFile(value: unknown): value is CreateFile {
  const v = value as Partial<CreateFile> | null;
  return typeof v === 'object' && v !== null && v.kind === 'create' && typeof v.uri === 'string';
}

/**
 * The new file an edit creates and the text edits into it, when that is all the edit does
 * (one `CreateFile`, then only edits of that file); undefined otherwise.
 */
export function newFileEdit(edit: WorkspaceEdit): { uri: string; edits: TextEdit[] } | undefined {
  const changes = edit.documentChanges ?? [];
  const creates = changes.filter(isCreateFile);
  if (creates.length !== 1 || Object.keys(edit.changes ?? {}).length) {
    return undefined;
  }
  const uri = creates[0]!.uri;
  const edits: TextEdit[] = [];
  for (const change of changes) {
    if (isCreateFile(change)) {
      continue;
    }
    const textEdit = change as { textDocument?: { uri?: string }; edits?: TextEdit[] };
    if (typeof textEdit.textDocument?.uri !== 'string' || !sameUri(textEdit.textDocument.uri, uri) || !Array.isArray(textEdit.edits)) {
      return undefined;
    }
    edits.push(...textEdit.edits);
  }
  return { uri, edits };
}

/** The text of the unsaved document after the server's inserts: appended to what it already holds. */
export function unsavedText(current: string, edits: readonly TextEdit[]): string {
  const added = applyTextEdits('', edits);
  if (!current.trim()) {
    return added;
  }
  return `${current.replace(/\n*$/, '')}\n\n\n${added}`;
}

/** vscode-languageclient calls the next applyEdit handler with the params only. */
const NO_TOKEN = undefined as unknown as Parameters<ApplyWorkspaceEditRequest.HandlerSignature>[1];

export class UnsavedNewFiles {
  /** file URI (as the server spells it) -> the untitled document standing for it. */
  private readonly unsaved = new Map<string, vscode.Uri>();

  /** `middleware.workspace.handleApplyEdit`. */
  readonly handleApplyEdit: NonNullable<NonNullable<Middleware['workspace']>['handleApplyEdit']> = async (params, next) => {
    const created = newFileEdit(params.edit as WorkspaceEdit);
    const file = created ? vscode.Uri.parse(created.uri) : undefined;
    if (!created || !file || file.scheme !== 'file' || (await api.fileExists(file))) {
      return next(params, NO_TOKEN);
    }
    const untitled = file.with({ scheme: 'untitled' });
    const document = await api.openTextDocument(untitled);
    const text = unsavedText(document.getText(), created.edits);
    const edit = new vscode.WorkspaceEdit();
    edit.replace(untitled, new vscode.Range(new vscode.Position(0, 0), document.positionAt(document.getText().length)), text);
    const applied = await api.applyWorkspaceEdit(edit);
    if (applied) {
      this.unsaved.set(created.uri, untitled);
      traceInfo(`${created.uri} is not on disk yet: its text is in an unsaved document until it is saved.`);
    }
    return applied ? { applied } : { applied, failureReason: 'VS Code could not open an unsaved document for the new file' };
  };

  /** `middleware.window.showDocument`: the unsaved document of a new file, else as usual. */
  readonly showDocument: ShowDocumentRequest.MiddlewareSignature = async (params, token, next) => {
    const untitled = this.untitledFor(params.uri);
    if (!untitled || params.external) {
      return next(params, token);
    }
    const document = await api.openTextDocument(untitled);
    const selection = params.selection
      ? new vscode.Range(params.selection.start.line, params.selection.start.character, params.selection.end.line, params.selection.end.character)
      : undefined;
    await api.showTextDocument(document, { preview: false, preserveFocus: params.takeFocus === false, ...(selection ? { selection } : {}) });
    return { success: true };
  };

  /** Where the text of `uri` is: its unsaved document while there is one, else `uri` itself. */
  resolve(uri: vscode.Uri): vscode.Uri {
    return this.untitledFor(uri.toString()) ?? uri;
  }

  private untitledFor(uri: string): vscode.Uri | undefined {
    for (const [file, untitled] of this.unsaved) {
      if (sameUri(file, uri)) {
        // Saved (VS Code then closes the untitled document) or closed without saving: gone.
        if (api.findTextDocument(untitled.toString())) {
          return untitled;
        }
        this.unsaved.delete(file);
      }
    }
    return undefined;
  }
}
