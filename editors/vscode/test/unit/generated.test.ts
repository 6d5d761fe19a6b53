import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ACTIONS, ServerCommands } from '../../src/generated/protocol';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('src/generated/protocol.ts', () => {
  it('is what docs/protocol.schema.json generates (run `make generate` when this fails)', () => {
    // Throws with the script's message when the committed file is stale.
    expect(() =>
      execFileSync(process.execPath, ['scripts/generate-protocol.mjs', '--check'], { cwd: root, stdio: 'pipe' }),
    ).not.toThrow();
  });

  it('names every action command among the server commands', () => {
    const commands = Object.values(ServerCommands) as string[];
    for (const action of ACTIONS) {
      expect(commands).toContain(action.command);
    }
  });
});
