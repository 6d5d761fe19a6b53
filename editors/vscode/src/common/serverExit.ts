/**
 * Why the server stopped, in words: its exit code or signal, and the last line it logged as an
 * error (a Python traceback ends with the exception). Shown in the status bar and the one
 * notification a crash gets, with Restart Server / Show Logs (server.ts).
 */

export interface ServerExit {
  code: number | null;
  signal: string | null;
}

const MAX_DETAIL = 160;

export function describeExit(exit: ServerExit | undefined, lastError: string | undefined): string {
  const how =
    exit === undefined
      ? 'its connection closed'
      : exit.signal
        ? `it was killed by ${exit.signal}`
        : exit.code === 0
          ? 'it exited'
          : `it exited with code ${exit.code ?? 'unknown'}`;
  const detail = lastError?.replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:,\d+)? (?:ERROR|CRITICAL) [\w.]+: /, '').trim();
  if (!detail) {
    return how;
  }
  return `${how}: ${detail.length > MAX_DETAIL ? `${detail.slice(0, MAX_DETAIL - 1)}…` : detail}`;
}

/** JSON-RPC codes of a request that lost its server (vscode-jsonrpc: write/read error, rejected, inactive). */
const CONNECTION_LOST = new Set([-32099, -32098, -32097, -32096]);

export function isConnectionLost(code: number): boolean {
  return CONNECTION_LOST.has(code);
}
