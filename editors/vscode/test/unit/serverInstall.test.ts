import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { describePipFailure, findBasePython, findBundledWheel, pipArguments } from '../../src/common/serverInstall';

const noSettings = { indexUrl: '', findLinks: '' };

describe('pipArguments', () => {
  it('installs the wheel from the package index by default', () => {
    expect(pipArguments('/ext/bundled/w.whl', noSettings)).toEqual(['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '/ext/bundled/w.whl']);
  });

  it('takes an index URL, and a wheelhouse alone without any index', () => {
    expect(pipArguments('w.whl', { indexUrl: 'https://mirror/simple', findLinks: '' })).toContain('--index-url');
    const offline = pipArguments('w.whl', { indexUrl: '', findLinks: '/wheels' });
    expect(offline).toEqual(expect.arrayContaining(['--find-links', '/wheels', '--no-index']));
    const both = pipArguments('w.whl', { indexUrl: 'https://mirror/simple', findLinks: '/wheels' });
    expect(both).not.toContain('--no-index');
  });
});

describe('describePipFailure', () => {
  it('names an unreachable index with the settings that fix it', () => {
    const error = describePipFailure(
      1,
      [
        "WARNING: Retrying (Retry(total=4)) after connection broken by 'NewConnectionError(... Failed to establish a new connection: [Errno -3] Temporary failure in name resolution')': /simple/pygls/",
        'ERROR: Could not find a version that satisfies the requirement pygls>=2',
        'ERROR: No matching distribution found for pygls>=2',
      ],
      noSettings,
    );
    expect(error.kind).toBe('unreachable');
    expect(error.message).toContain('the package index is unreachable');
    expect(error.message).toContain('mistral.installFindLinks');
    expect(error.message).toContain('Mistral: Reinstall Server');
  });

  it("names pip's last error otherwise, and where the rest is", () => {
    const error = describePipFailure(1, ['Processing ./w.whl', 'ERROR: No matching distribution found for pygls>=2', ''], { indexUrl: '', findLinks: '/empty' });
    expect(error.kind).toBe('pip');
    expect(error.message).toContain('pip failed (exit 1): ERROR: No matching distribution found for pygls>=2');
    expect(error.message).toContain('Mistral: Show Logs');
  });
});

describe('findBasePython', () => {
  it('says no Python ≥ 3.10 was found, naming what it tried, when none runs', async () => {
    const error = await findBasePython({ activeInterpreter: async () => ['/nonexistent/python'], which: async () => undefined }).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'no-python' });
    expect((error as Error).message).toContain('needs Python 3.10 or newer');
    expect((error as Error).message).toContain('no python3 on PATH');
    expect((error as Error).message).toContain('/nonexistent/python does not run');
  });
});

describe('findBundledWheel', () => {
  it('finds the wheel with its version, and none in a build without one', async () => {
    const ext = mkdtempSync(path.join(os.tmpdir(), 'ext-'));
    expect(await findBundledWheel(ext)).toBeUndefined();
    mkdirSync(path.join(ext, 'bundled'));
    writeFileSync(path.join(ext, 'bundled', 'mistral_lsp-0.2.0-py3-none-any.whl'), 'wheel');
    const wheel = await findBundledWheel(ext);
    expect(wheel).toMatchObject({ version: '0.2.0', file: path.join(ext, 'bundled', 'mistral_lsp-0.2.0-py3-none-any.whl') });
    expect(wheel?.id).toMatch(/^0\.2\.0-[0-9a-f]{12}$/);
  });
});
