/**
 * Logging into the `Mistral` LogOutputChannel, which also carries the LSP trace
 * (`mistral.trace.server`) and the server's stderr. `Mistral: Show Logs` reveals it.
 */
import type { LogOutputChannel } from 'vscode';

let channel: LogOutputChannel | undefined;

export function registerLogger(output: LogOutputChannel): void {
  channel = output;
}

function format(parts: unknown[]): string {
  return parts
    .map((part) => {
      if (part instanceof Error) {
        return part.stack ?? part.message;
      }
      return typeof part === 'string' ? part : JSON.stringify(part);
    })
    .join(' ');
}

export function traceError(...parts: unknown[]): void {
  channel?.error(format(parts));
}
export function traceWarn(...parts: unknown[]): void {
  channel?.warn(format(parts));
}
export function traceInfo(...parts: unknown[]): void {
  channel?.info(format(parts));
}
export function traceVerbose(...parts: unknown[]): void {
  channel?.debug(format(parts));
}
