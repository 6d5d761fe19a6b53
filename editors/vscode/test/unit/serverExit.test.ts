import { describe, expect, it } from 'vitest';
import { describeExit, isConnectionLost } from '../../src/common/serverExit';

describe('describeExit', () => {
  it('names the signal or the exit code, and the last error line without its log prefix', () => {
    expect(describeExit({ code: null, signal: 'SIGKILL' }, undefined)).toBe('it was killed by SIGKILL');
    expect(describeExit({ code: 1, signal: null }, "ModuleNotFoundError: No module named 'pygls'")).toBe(
      "it exited with code 1: ModuleNotFoundError: No module named 'pygls'",
    );
    expect(describeExit({ code: 1, signal: null }, '2026-01-02 03:04:05,678 ERROR mistral_lsp.lsp.server: index broken')).toBe(
      'it exited with code 1: index broken',
    );
    expect(describeExit(undefined, undefined)).toBe('its connection closed');
    expect(describeExit({ code: 1, signal: null }, 'x'.repeat(400)).length).toBeLessThan(200);
  });

  it('knows the JSON-RPC codes of a request whose server went away', () => {
    expect(isConnectionLost(-32097)).toBe(true);
    expect(isConnectionLost(-32099)).toBe(true);
    expect(isConnectionLost(-32800)).toBe(false);
  });
});
