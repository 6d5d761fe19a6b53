/** The shapes of the server's command arguments and results, generated from docs/protocol.schema.json. */
import type { ActionArguments, ActionResult, AppliedResult } from '../generated/protocol';

/** The one argument object of `mistral.fix` / `explain` / `review` / `generateTests`. */
export type TargetArgs = ActionArguments;

/** What those four commands resolve with. */
export type CommandResult = ActionResult;

/** The result of `mistral.acceptFix` (and `mistral.applySuggestion`). */
export type AcceptResult = AppliedResult;

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
