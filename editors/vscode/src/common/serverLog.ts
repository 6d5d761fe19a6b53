/**
 * The server's stderr in the `Mistral` log at the level each line was logged at.
 * vscode-languageclient logs every stderr line as `[error]`; mistral-lsp writes
 * `<date> <time> LEVEL logger: message` (mistral_lsp/logs.py), so a warning or an info line
 * keeps its level and a traceback's lines keep the level of the record they belong to.
 * The channel stamps each line with its own time and level, so the record's date, time and
 * level are dropped from the line (they would show twice): `logger: message` remains.
 */
import * as readline from 'node:readline';
import type { Readable } from 'node:stream';
import type { LogOutputChannel } from 'vscode';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

const RECORD = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:,\d+)? (DEBUG|INFO|WARNING|ERROR|CRITICAL) /;

/** The line without the record's own timestamp and level (the channel adds its own). */
export function withoutStamp(line: string): string {
  const match = RECORD.exec(line);
  return match ? line.slice(match[0].length) : line;
}
const LEVELS: Record<string, LogLevel> = { DEBUG: 'debug', INFO: 'info', WARNING: 'warn', ERROR: 'error', CRITICAL: 'error' };

/** Maps the server's stderr lines to log levels; lines of a multi-line record follow its first. */
export class ServerLineLevels {
  // Output before the first record (a Python that fails to start) is an error.
  private current: LogLevel = 'error';

  levelOf(line: string): LogLevel {
    const match = RECORD.exec(line);
    if (match?.[1]) {
      this.current = LEVELS[match[1]] ?? 'info';
    }
    return this.current;
  }
}

/** `LanguageClientOptions.stdioOptions`: stderr lines at their own level; `onError` sees each error line. */
export function serverStdio(onError: (line: string) => void = () => undefined): {
  stdout: (input: Readable, channel: LogOutputChannel) => void;
  stderr: (input: Readable, channel: LogOutputChannel) => void;
} {
  const lines = (input: Readable, onLine: (line: string) => void) =>
    readline.createInterface({ input, crlfDelay: Infinity, terminal: false, historySize: 0 }).on('line', onLine);
  return {
    stdout: (input, channel) => lines(input, (line) => channel.info(line)),
    stderr: (input, channel) => {
      const levels = new ServerLineLevels();
      lines(input, (line) => {
        const level = levels.levelOf(line);
        const text = withoutStamp(line);
        channel[level](text);
        if (level === 'error' && text.trim()) {
          onError(text);
        }
      });
    },
  };
}
