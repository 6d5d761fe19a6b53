/**
 * Which command starts the server: `mistral.serverPath`, else `-m mistral_lsp` under
 * `mistral.interpreter`, else the server the extension brings (its bundled wheel, installed into
 * a private virtual environment: serverInstall.ts). A build without the bundled wheel (from
 * source) looks further: the Python extension's active interpreter, a `mistral-lsp` on PATH,
 * `python3 -m mistral_lsp`. When none works, the plan carries a message that says what to do. The decision is pure (its effects are the
 * injected `LaunchDeps`), so it is unit-tested without VS Code.
 */
import { execFile } from 'node:child_process';
import { constants as fsConstants, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { getExtension } from './vscodeapi';
import { traceVerbose } from './log';

export interface LaunchSettings {
  serverPath: string;
  interpreter: readonly string[];
}

export interface LaunchDeps {
  workspaceFolder: string | undefined;
  userHome: string;
  env: Record<string, string | undefined>;
  /** The Python extension's active interpreter as a command, if that extension is installed. */
  activeInterpreter(): Promise<string[] | undefined>;
  isExecutable(file: string): Promise<boolean>;
  which(name: string): Promise<string | undefined>;
  /** Runs `command -c "import mistral_lsp"`; `detail` says why it failed. */
  canImportServer(command: readonly string[]): Promise<{ ok: boolean; detail?: string }>;
  /**
   * The bundled server's Python, installing it first if needed; undefined when the extension
   * carries no wheel. A failed install gives the message to show.
   */
  bundledServer?(): Promise<{ ok: true; python: string; version: string } | { ok: false; message: string } | undefined>;
}

export type LaunchPlan =
  | { ok: true; command: string; args: string[]; source: string }
  | { ok: false; message: string; installFailed?: boolean };

export const INSTALL_HINT =
  'Install it from a checkout of its repository (`pipx install ./mistral-lsp`, or `python -m pip install .` in your project\'s environment), ' +
  'then set `mistral.serverPath` to the `mistral-lsp` executable, or `mistral.interpreter` to that Python. ' +
  // `serverPath` is a machine setting: a remote or browser (code-server) window ignores it in User settings.
  'In a remote or browser (code-server) window, set `mistral.serverPath` in the Remote settings ("Preferences: Open Remote Settings").';

/** Expands `${workspaceFolder}`, `${userHome}`, `${env:NAME}` and a leading `~`. */
export function resolveVariables(value: string, deps: Pick<LaunchDeps, 'workspaceFolder' | 'userHome' | 'env'>): string {
  let result = value.replace(/\$\{(workspaceFolder|userHome|env:([^}]+))\}/g, (match, name: string, envName?: string) => {
    if (name === 'workspaceFolder') {
      return deps.workspaceFolder ?? match;
    }
    if (name === 'userHome') {
      return deps.userHome;
    }
    return deps.env[envName ?? ''] ?? '';
  });
  if (result === '~' || result.startsWith('~/')) {
    result = deps.userHome + result.slice(1);
  }
  return result;
}

function quote(command: readonly string[]): string {
  return command.map((part) => (/\s/.test(part) ? `"${part}"` : part)).join(' ');
}

export async function resolveServerCommand(settings: LaunchSettings, deps: LaunchDeps): Promise<LaunchPlan> {
  const serverPath = resolveVariables(settings.serverPath.trim(), deps);
  if (serverPath) {
    const candidate =
      path.isAbsolute(serverPath) || !serverPath.includes(path.sep) || !deps.workspaceFolder
        ? serverPath
        : path.resolve(deps.workspaceFolder, serverPath);
    const resolved = path.isAbsolute(candidate) ? candidate : await deps.which(candidate);
    if (resolved && (await deps.isExecutable(resolved))) {
      return { ok: true, command: resolved, args: [], source: 'mistral.serverPath' };
    }
    return {
      ok: false,
      message:
        `\`mistral.serverPath\` is "${settings.serverPath}", which is not an executable file. ` +
        'Point it at the `mistral-lsp` executable (for example `.venv/bin/mistral-lsp`), or clear it to run the server with a Python interpreter.',
    };
  }

  const tried: string[] = [];
  const interpreter = settings.interpreter.map((part) => resolveVariables(part, deps)).filter((part) => part.length > 0);
  if (interpreter.length > 0) {
    const probe = await deps.canImportServer(interpreter);
    if (probe.ok) {
      return pythonPlan(interpreter, 'mistral.interpreter');
    }
    return {
      ok: false,
      message:
        `The Python interpreter \`${quote(interpreter)}\` (\`mistral.interpreter\`) cannot import mistral_lsp${probe.detail ? ` (${probe.detail})` : ''}. ` +
        `Install it there from a checkout of the mistral-lsp repository (\`${quote(interpreter)} -m pip install .\`), ` +
        'or clear `mistral.interpreter` to use the server the extension installs, or set `mistral.serverPath` to a `mistral-lsp` executable.',
    };
  }

  const bundled = await deps.bundledServer?.();
  if (bundled?.ok) {
    return pythonPlan([bundled.python], `the bundled server ${bundled.version}`);
  }
  if (bundled) {
    return { ok: false, message: bundled.message, installFailed: true };
  }

  const active = await deps.activeInterpreter();
  if (active && active.length > 0) {
    const probe = await deps.canImportServer(active);
    if (probe.ok) {
      return pythonPlan(active, 'the Python extension\'s interpreter');
    }
    tried.push(`the Python extension's interpreter \`${quote(active)}\` cannot import mistral_lsp`);
  }

  const onPath = await deps.which('mistral-lsp');
  if (onPath && (await deps.isExecutable(onPath))) {
    return { ok: true, command: onPath, args: [], source: 'mistral-lsp on PATH' };
  }
  tried.push('no `mistral-lsp` on PATH');

  const python3 = await deps.which('python3');
  if (python3) {
    const probe = await deps.canImportServer([python3]);
    if (probe.ok) {
      return pythonPlan([python3], 'python3 on PATH');
    }
    tried.push(`\`${python3}\` cannot import mistral_lsp`);
  }

  return { ok: false, message: `Could not find the mistral-lsp server (${tried.join('; ')}). ${INSTALL_HINT}` };
}

function pythonPlan(interpreter: readonly string[], source: string): LaunchPlan {
  const [command, ...rest] = interpreter;
  return { ok: true, command: command ?? 'python3', args: [...rest, '-m', 'mistral_lsp'], source };
}

// --- Node / VS Code implementations of LaunchDeps --------------------------------------------------

interface PythonExtensionApi {
  environments?: {
    getActiveEnvironmentPath(resource?: unknown): { path: string };
    resolveEnvironment(env: { path: string } | string): Promise<{ executable: { uri?: { fsPath: string } } } | undefined>;
    onDidChangeActiveEnvironmentPath?: (listener: () => void) => { dispose(): void };
  };
}

async function pythonExtensionApi(): Promise<PythonExtensionApi | undefined> {
  const extension = getExtension<PythonExtensionApi>('ms-python.python');
  if (!extension) {
    return undefined;
  }
  try {
    return extension.isActive ? extension.exports : await extension.activate();
  } catch (error) {
    traceVerbose('Python extension did not activate:', error);
    return undefined;
  }
}

/** The Python extension's active interpreter, as a command, for `resource`'s folder. */
export async function activeInterpreterFromPythonExtension(resource?: unknown): Promise<string[] | undefined> {
  const api = await pythonExtensionApi();
  const environments = api?.environments;
  if (!environments) {
    return undefined;
  }
  try {
    const env = await environments.resolveEnvironment(environments.getActiveEnvironmentPath(resource));
    const executable = env?.executable.uri?.fsPath;
    return executable ? [executable] : undefined;
  } catch (error) {
    traceVerbose('Could not resolve the Python extension\'s interpreter:', error);
    return undefined;
  }
}

/** Calls `listener` when the Python extension's active interpreter changes (no-op without it). */
export async function onDidChangePythonInterpreter(listener: () => void): Promise<{ dispose(): void }> {
  const api = await pythonExtensionApi();
  return api?.environments?.onDidChangeActiveEnvironmentPath?.(listener) ?? { dispose: () => undefined };
}

export function nodeLaunchDeps(workspaceFolder: string | undefined, resource?: unknown): LaunchDeps {
  const env = process.env;
  return {
    workspaceFolder,
    userHome: os.homedir(),
    env,
    activeInterpreter: () => activeInterpreterFromPythonExtension(resource),
    async isExecutable(file) {
      try {
        const stat = await fs.stat(file);
        await fs.access(file, fsConstants.X_OK);
        return stat.isFile();
      } catch {
        return false;
      }
    },
    async which(name) {
      for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
        const file = path.join(dir, name);
        try {
          await fs.access(file, fsConstants.X_OK);
          return file;
        } catch {
          // not in this folder
        }
      }
      return undefined;
    },
    canImportServer(command) {
      const [file, ...args] = command;
      return new Promise((resolve) => {
        if (!file) {
          resolve({ ok: false, detail: 'empty command' });
          return;
        }
        execFile(
          file,
          [...args, '-c', 'import mistral_lsp'],
          { timeout: 20_000, cwd: workspaceFolder, env },
          (error, _stdout, stderr) => {
            if (!error) {
              resolve({ ok: true });
              return;
            }
            const lastLine = String(stderr).trim().split('\n').pop();
            resolve({ ok: false, detail: lastLine || error.message });
          },
        );
      });
    },
  };
}
