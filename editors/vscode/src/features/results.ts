/** The shapes of the server's command arguments and results (docs/protocol.md, "Commands"). */
import type { Diagnostic, Range } from 'vscode-languageclient/node';
import type { WorkspaceEdit } from '../common/edits';

/** The one argument object of `mistral.fix` / `explain` / `review` / `generateTests`. */
export interface TargetArgs {
  uri: string;
  range: Range | null;
  version: number;
  diagnostics: Diagnostic[];
  id?: string;
  preview?: boolean;
  showResult?: boolean;
}

export interface CommandResult {
  id?: string;
  action?: string;
  uri?: string;
  text?: string;
  applied?: boolean;
  edit?: WorkspaceEdit;
  usage?: { promptTokens?: number; cachedTokens?: number; completionTokens?: number };
  diagnostics?: number;
  testUri?: string;
  cancelled?: boolean;
  message?: string;
}

export interface AcceptResult {
  applied: boolean;
  message?: string;
}

export function isTargetArgs(value: unknown): value is TargetArgs {
  const v = value as Partial<TargetArgs> | null;
  return typeof v === 'object' && v !== null && typeof v.uri === 'string';
}

let counter = 0;
/** A client-chosen run id: unique per window. */
export function newRunId(action: string): string {
  counter += 1;
  return `vscode-${action}-${Date.now().toString(36)}-${counter}`;
}
