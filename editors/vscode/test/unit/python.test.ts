import { describe, expect, it } from 'vitest';
import { resolveServerCommand, resolveVariables, type LaunchDeps } from '../../src/common/python';

function deps(overrides: Partial<LaunchDeps> & { executables?: string[]; importable?: string[]; onPath?: Record<string, string> } = {}): LaunchDeps {
  const executables = new Set(overrides.executables ?? []);
  const importable = new Set(overrides.importable ?? []);
  const onPath = overrides.onPath ?? {};
  return {
    workspaceFolder: '/work/project',
    userHome: '/home/me',
    env: { VENV: '/opt/venv' },
    activeInterpreter: async () => undefined,
    isExecutable: async (file) => executables.has(file),
    which: async (name) => onPath[name],
    canImportServer: async (command) =>
      importable.has(command.join(' ')) ? { ok: true } : { ok: false, detail: "No module named 'mistral_lsp'" },
    ...overrides,
  };
}

describe('resolveVariables', () => {
  it('expands ${workspaceFolder}, ${userHome}, ${env:X} and ~', () => {
    const d = deps();
    expect(resolveVariables('${workspaceFolder}/.venv/bin/python', d)).toBe('/work/project/.venv/bin/python');
    expect(resolveVariables('${userHome}/x', d)).toBe('/home/me/x');
    expect(resolveVariables('${env:VENV}/bin/python', d)).toBe('/opt/venv/bin/python');
    expect(resolveVariables('~/bin/mistral-lsp', d)).toBe('/home/me/bin/mistral-lsp');
    expect(resolveVariables('${env:MISSING}x', d)).toBe('x');
  });
});

describe('resolveServerCommand', () => {
  it('runs mistral.serverPath as is', async () => {
    const plan = await resolveServerCommand(
      { serverPath: '${workspaceFolder}/.venv/bin/mistral-lsp', interpreter: ['/usr/bin/python3'] },
      deps({ executables: ['/work/project/.venv/bin/mistral-lsp'] }),
    );
    expect(plan).toEqual({ ok: true, command: '/work/project/.venv/bin/mistral-lsp', args: [], source: 'mistral.serverPath' });
  });

  it('resolves a relative serverPath against the workspace folder and a bare name on PATH', async () => {
    const relative = await resolveServerCommand(
      { serverPath: '.venv/bin/mistral-lsp', interpreter: [] },
      deps({ executables: ['/work/project/.venv/bin/mistral-lsp'] }),
    );
    expect(relative).toMatchObject({ ok: true, command: '/work/project/.venv/bin/mistral-lsp' });
    const bare = await resolveServerCommand(
      { serverPath: 'mistral-lsp', interpreter: [] },
      deps({ executables: ['/usr/local/bin/mistral-lsp'], onPath: { 'mistral-lsp': '/usr/local/bin/mistral-lsp' } }),
    );
    expect(bare).toMatchObject({ ok: true, command: '/usr/local/bin/mistral-lsp' });
  });

  it('says what is wrong with a serverPath that is not executable, without falling back', async () => {
    const plan = await resolveServerCommand(
      { serverPath: '/nope/mistral-lsp', interpreter: [] },
      deps({ onPath: { 'mistral-lsp': '/usr/bin/mistral-lsp' }, executables: ['/usr/bin/mistral-lsp'] }),
    );
    expect(plan.ok).toBe(false);
    expect(!plan.ok && plan.message).toMatch(/mistral\.serverPath.*\/nope\/mistral-lsp.*not an executable/);
  });

  it('runs -m mistral_lsp under mistral.interpreter (a command, possibly with arguments)', async () => {
    const plan = await resolveServerCommand(
      { serverPath: '', interpreter: ['uv', 'run', 'python'] },
      deps({ importable: ['uv run python'] }),
    );
    expect(plan).toEqual({ ok: true, command: 'uv', args: ['run', 'python', '-m', 'mistral_lsp'], source: 'mistral.interpreter' });
  });

  it('tells how to install the server into mistral.interpreter when it cannot import it', async () => {
    const plan = await resolveServerCommand({ serverPath: '', interpreter: ['/venv/bin/python'] }, deps());
    expect(plan.ok).toBe(false);
    expect(!plan.ok && plan.message).toContain('/venv/bin/python -m pip install .');
    expect(!plan.ok && plan.message).not.toContain('install mistral-lsp');
  });

  it("uses the Python extension's interpreter next", async () => {
    const plan = await resolveServerCommand(
      { serverPath: '', interpreter: [] },
      deps({ activeInterpreter: async () => ['/proj/.venv/bin/python'], importable: ['/proj/.venv/bin/python'] }),
    );
    expect(plan).toMatchObject({ ok: true, command: '/proj/.venv/bin/python', args: ['-m', 'mistral_lsp'] });
  });

  it("falls back to mistral-lsp on PATH when the Python extension's interpreter lacks the server", async () => {
    const plan = await resolveServerCommand(
      { serverPath: '', interpreter: [] },
      deps({
        activeInterpreter: async () => ['/proj/.venv/bin/python'],
        onPath: { 'mistral-lsp': '/home/me/.local/bin/mistral-lsp' },
        executables: ['/home/me/.local/bin/mistral-lsp'],
      }),
    );
    expect(plan).toMatchObject({ ok: true, command: '/home/me/.local/bin/mistral-lsp', source: 'mistral-lsp on PATH' });
  });

  it('then python3 on PATH', async () => {
    const plan = await resolveServerCommand(
      { serverPath: '', interpreter: [] },
      deps({ onPath: { python3: '/usr/bin/python3' }, importable: ['/usr/bin/python3'] }),
    );
    expect(plan).toMatchObject({ ok: true, command: '/usr/bin/python3', args: ['-m', 'mistral_lsp'] });
  });

  it('explains how to install when nothing works, naming what it tried', async () => {
    const plan = await resolveServerCommand(
      { serverPath: '', interpreter: [] },
      deps({ activeInterpreter: async () => ['/proj/py'], onPath: { python3: '/usr/bin/python3' } }),
    );
    expect(plan.ok).toBe(false);
    if (!plan.ok) {
      // mistral-lsp is not on PyPI: the hint installs from the repository.
      expect(plan.message).not.toContain('install mistral-lsp');
      expect(plan.message).toContain('pipx install ./mistral-lsp');
      expect(plan.message).toContain('mistral.serverPath');
      expect(plan.message).toContain('/proj/py');
      expect(plan.message).toContain('/usr/bin/python3');
    }
  });

  it('runs the bundled server when no setting names one, before any interpreter or PATH server', async () => {
    const plan = await resolveServerCommand(
      { serverPath: '', interpreter: [] },
      deps({
        activeInterpreter: async () => ['/proj/py'],
        importable: ['/proj/py'],
        executables: ['/usr/bin/mistral-lsp'],
        onPath: { 'mistral-lsp': '/usr/bin/mistral-lsp' },
        bundledServer: async () => ({ ok: true, python: '/storage/server/0.1.0-abc/bin/python', version: '0.1.0' }),
      }),
    );
    expect(plan).toEqual({ ok: true, command: '/storage/server/0.1.0-abc/bin/python', args: ['-m', 'mistral_lsp'], source: 'the bundled server 0.1.0' });
  });

  it('lets mistral.serverPath and mistral.interpreter win over the bundled server', async () => {
    let asked = 0;
    const bundledServer = async () => {
      asked += 1;
      return { ok: true as const, python: '/bundled/python', version: '0.1.0' };
    };
    const byPath = await resolveServerCommand(
      { serverPath: '/opt/mistral-lsp', interpreter: [] },
      deps({ executables: ['/opt/mistral-lsp'], bundledServer }),
    );
    expect(byPath).toMatchObject({ ok: true, command: '/opt/mistral-lsp' });
    const byInterpreter = await resolveServerCommand({ serverPath: '', interpreter: ['/venv/python'] }, deps({ importable: ['/venv/python'], bundledServer }));
    expect(byInterpreter).toMatchObject({ ok: true, command: '/venv/python', source: 'mistral.interpreter' });
    expect(asked).toBe(0);
  });

  it('reports a failed install as such, without falling back to another server', async () => {
    const plan = await resolveServerCommand(
      { serverPath: '', interpreter: [] },
      deps({
        executables: ['/usr/bin/mistral-lsp'],
        onPath: { 'mistral-lsp': '/usr/bin/mistral-lsp' },
        bundledServer: async () => ({ ok: false, message: 'Mistral could not install its server: pip failed (exit 1).' }),
      }),
    );
    expect(plan).toEqual({ ok: false, message: 'Mistral could not install its server: pip failed (exit 1).', installFailed: true });
  });
});
