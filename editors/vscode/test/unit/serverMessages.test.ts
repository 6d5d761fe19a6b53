import { describe, expect, it, vi } from 'vitest';
import { presentServerMessage, reviewPauseReason, SET_API_KEY } from '../../src/common/serverMessages';
import { Readable } from 'node:stream';
import type { LogOutputChannel } from 'vscode';
import { ServerLineLevels, serverStdio } from '../../src/common/serverLog';

describe('presentServerMessage', () => {
  it('gives a missing key error a Set API Key button', () => {
    const shown = presentServerMessage(1, 'Mistral review failed: no Mistral API key: set the MISTRAL_API_KEY environment variable', 'none');
    expect(shown).toEqual({ severity: 'error', text: expect.stringContaining('no Mistral API key'), buttons: [SET_API_KEY] });
  });

  it('names the stored key as the one in use when the API rejects it', () => {
    const shown = presentServerMessage(1, 'Mistral fix failed: the API rejected the key (HTTP 401); set MISTRAL_API_KEY or mistral.apiKey', 'secret');
    expect(shown.text).toBe(
      'Mistral fix failed: the API rejected the key (HTTP 401); set MISTRAL_API_KEY or mistral.apiKey. The key in use is the one stored with "Mistral: Set API Key".',
    );
    expect(shown.buttons).toEqual([SET_API_KEY]);
    expect(shown.keyRejected).toBe(true);
    expect(presentServerMessage(1, 'Mistral review failed: no Mistral API key', 'none').keyRejected).toBeUndefined();
    const fromEnv = presentServerMessage(1, 'Mistral fix failed: the API rejected the key (HTTP 401)', 'environment');
    expect(fromEnv.text).toContain("MISTRAL_API_KEY from VS Code's environment");
  });

  it('reads a paused review on save from the server\'s message', () => {
    const message =
      'Mistral review on save failed: the API rejected the key (HTTP 401: Unauthorized); run "Mistral: Set API Key" from the Command Palette (review on save pauses until the settings change)';
    expect(reviewPauseReason(message)).toBe('the API rejected the key (HTTP 401: Unauthorized); run "Mistral: Set API Key" from the Command Palette');
    expect(presentServerMessage(1, message, 'secret')).toMatchObject({ keyRejected: true, reviewPaused: expect.stringContaining('HTTP 401') });
    expect(reviewPauseReason('Mistral review on save failed: the reply was not JSON')).toBeUndefined();
    expect(presentServerMessage(1, 'Mistral fix failed: the API rejected the key (HTTP 401)', 'secret').reviewPaused).toBeUndefined();
  });

  it('passes other messages through unchanged, at their own severity', () => {
    expect(presentServerMessage(2, 'Mistral: the fix was not applied: the code changed', 'secret')).toEqual({
      severity: 'warning',
      text: 'Mistral: the fix was not applied: the code changed',
      buttons: [],
    });
    expect(presentServerMessage(3, 'Mistral: review on save is on', 'none').buttons).toEqual([]);
  });
});

describe('ServerLineLevels', () => {
  it("logs each server line at its record's level, a traceback at the level of its record", () => {
    const levels = new ServerLineLevels();
    expect(levels.levelOf('/usr/bin/python: No module named mistral_lsp')).toBe('error');
    expect(levels.levelOf('2026-11-29 13:57:28,123 INFO mistral_lsp.lsp.server: settings from initialize')).toBe('info');
    expect(levels.levelOf('2026-11-29 13:57:29,001 WARNING mistral_lsp.actions.run: fix r1 failed: no Mistral API key')).toBe('warn');
    expect(levels.levelOf('2026-11-29 13:57:29,002 DEBUG pygls.protocol.json_rpc: Cancel notification for unknown message id "9"')).toBe('debug');
    expect(levels.levelOf('2026-11-29 13:57:30,000 ERROR mistral_lsp.actions.run: fix r2 crashed')).toBe('error');
    expect(levels.levelOf('Traceback (most recent call last):')).toBe('error');
    expect(levels.levelOf('2026-11-29 13:57:31,000 INFO mistral_lsp.actions.run: back to normal')).toBe('info');
  });
});

describe('serverStdio', () => {
  it("writes a server line with one timestamp and one level: the channel's, not the record's again", async () => {
    const written: string[] = [];
    const channel = Object.fromEntries(
      ['trace', 'debug', 'info', 'warn', 'error'].map((level) => [level, (line: string) => written.push(`[${level}] ${line}`)]),
    ) as unknown as LogOutputChannel;
    const errors: string[] = [];
    serverStdio((line) => errors.push(line)).stderr(
      Readable.from([
        '2026-11-29 13:57:28,123 INFO mistral_lsp.lsp.server: settings from initialize\n',
        '2026-11-29 13:57:30,000 ERROR mistral_lsp.actions.run: fix r2 crashed\n',
        'Traceback (most recent call last):\n',
      ]),
      channel,
    );
    await vi.waitFor(() => expect(written).toHaveLength(3));
    expect(written).toEqual([
      '[info] mistral_lsp.lsp.server: settings from initialize',
      '[error] mistral_lsp.actions.run: fix r2 crashed',
      '[error] Traceback (most recent call last):',
    ]);
    expect(errors).toEqual(['mistral_lsp.actions.run: fix r2 crashed', 'Traceback (most recent call last):']);
  });
});
