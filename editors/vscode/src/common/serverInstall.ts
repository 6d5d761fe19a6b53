/**
 * The server the extension brings. The .vsix carries mistral-lsp as a wheel (`bundled/`, built by
 * `scripts/bundle-server.mjs`). On first use, or when the bundled wheel is not the installed one,
 * it is installed into a private virtual environment in the extension's global storage (on the
 * remote side in a remote window or code-server: the extension is a workspace extension), with a
 * Python ≥ 3.10: the Python extension's selected interpreter, else `python3` on PATH. The
 * dependencies come from the package index, or from `mistral.installIndexUrl` /
 * `mistral.installFindLinks` (a folder of wheels, for offline machines). pip's output goes to the
 * log; a failure is one message naming the cause and the remedy (`InstallError.message`).
 *
 * Each wheel installs into its own folder (`server/<version>-<hash>`), built under a temporary
 * name and renamed when complete, so a failed or interrupted install is never used and two
 * windows installing at once do not break each other.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

export const MIN_PYTHON: readonly [number, number] = [3, 10];
const REINSTALL = 'then run "Mistral: Reinstall Server"';

export interface BundledWheel {
  file: string;
  version: string;
  /** Names the install folder: the version and the wheel's hash (dev builds share a version). */
  id: string;
}

export interface InstallSettings {
  indexUrl: string;
  findLinks: string;
}

export interface InstallHost {
  /** The Python extension's selected interpreter, as a command, if any. */
  activeInterpreter(): Promise<string[] | undefined>;
  which(name: string): Promise<string | undefined>;
  log(line: string): void;
  /** Runs `task` under a progress notification; `report` updates its message. */
  withProgress<T>(title: string, task: (report: (message: string) => void) => Promise<T>): Promise<T>;
}

export type InstallFailure = 'no-python' | 'venv' | 'unreachable' | 'pip';

export class InstallError extends Error {
  constructor(
    readonly kind: InstallFailure,
    message: string,
  ) {
    super(message);
  }
}

/** The wheel in `<extension>/bundled`, or undefined in a build without one (a development build). */
export async function findBundledWheel(extensionPath: string): Promise<BundledWheel | undefined> {
  const dir = path.join(extensionPath, 'bundled');
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return undefined;
  }
  const name = names.find((entry) => /^mistral_lsp-[^-]+-.+\.whl$/.test(entry));
  if (!name) {
    return undefined;
  }
  const file = path.join(dir, name);
  const hash = createHash('sha256').update(await fs.readFile(file)).digest('hex').slice(0, 12);
  const version = name.split('-')[1] ?? 'unknown';
  return { file, version, id: `${version}-${hash}` };
}

export function venvPython(venv: string): string {
  return process.platform === 'win32' ? path.join(venv, 'Scripts', 'python.exe') : path.join(venv, 'bin', 'python');
}

const COMPLETE = 'mistral-install.json';

/** The installed server's Python for `wheel`, if that exact wheel is installed and intact. */
export async function installedPython(storagePath: string, wheel: BundledWheel): Promise<string | undefined> {
  const venv = path.join(storagePath, 'server', wheel.id);
  try {
    await fs.access(path.join(venv, COMPLETE));
    await fs.stat(venvPython(venv)); // follows the link to the base Python: gone if it was removed
    return venvPython(venv);
  } catch {
    return undefined;
  }
}

/** pip's arguments for the settings: an index URL, and/or a wheelhouse (alone: no index at all). */
export function pipArguments(wheel: string, settings: InstallSettings): string[] {
  const args = ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input'];
  const indexUrl = settings.indexUrl.trim();
  const findLinks = settings.findLinks.trim();
  if (indexUrl) {
    args.push('--index-url', indexUrl);
  }
  if (findLinks) {
    args.push('--find-links', findLinks);
    if (!indexUrl) {
      args.push('--no-index');
    }
  }
  return [...args, wheel];
}

const UNREACHABLE =
  /NewConnectionError|Failed to establish a new connection|Max retries exceeded|Temporary failure in name resolution|Name or service not known|Network is unreachable|Connection refused|ConnectTimeoutError|ProxyError|Could not fetch URL/i;

/** The one message for a failed `pip install`, from its exit code and output lines. */
export function describePipFailure(code: number | null, lines: readonly string[], settings: InstallSettings): InstallError {
  const errors = lines.filter((line) => /^ERROR:/.test(line.trim()));
  const last = (errors.at(-1) ?? lines.filter((line) => line.trim()).at(-1) ?? '').trim();
  if (lines.some((line) => UNREACHABLE.test(line))) {
    const where = settings.indexUrl.trim() ? `\`mistral.installIndexUrl\` (${settings.indexUrl.trim()})` : 'the package index';
    return new InstallError(
      'unreachable',
      `Mistral could not install its server: ${where} is unreachable. ` +
        'Set `mistral.installIndexUrl` to an index this machine reaches, or `mistral.installFindLinks` to a folder of wheels, ' +
        `${REINSTALL}. pip's output is in the log.`,
    );
  }
  return new InstallError(
    'pip',
    `Mistral could not install its server: pip failed (exit ${code ?? 'signal'})${last ? `: ${last}` : ''}. ` +
      `The last lines of its output are in the log ("Mistral: Show Logs"). Check \`mistral.installIndexUrl\` and \`mistral.installFindLinks\`, ${REINSTALL}.`,
  );
}

/** "3.11" from `command`, or undefined when it does not run. */
function pythonVersion(command: readonly string[]): Promise<[number, number] | undefined> {
  const [file, ...args] = command;
  return new Promise((resolve) => {
    if (!file) {
      resolve(undefined);
      return;
    }
    execFile(file, [...args, '-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], { timeout: 20_000 }, (error, stdout) => {
      const match = /^(\d+)\.(\d+)/.exec(String(stdout).trim());
      resolve(error || !match ? undefined : [Number(match[1]), Number(match[2])]);
    });
  });
}

function isRecentEnough(version: readonly [number, number]): boolean {
  return version[0] > MIN_PYTHON[0] || (version[0] === MIN_PYTHON[0] && version[1] >= MIN_PYTHON[1]);
}

/** The first Python ≥ 3.10: the Python extension's, else `python3` on PATH. */
export async function findBasePython(host: Pick<InstallHost, 'activeInterpreter' | 'which'>): Promise<string[]> {
  const tried: string[] = [];
  const candidates: { command: string[]; label: string }[] = [];
  const active = await host.activeInterpreter();
  if (active?.length) {
    candidates.push({ command: active, label: `the Python extension's interpreter ${active.join(' ')}` });
  } else {
    tried.push('no interpreter selected in the Python extension');
  }
  const python3 = await host.which('python3');
  if (python3) {
    candidates.push({ command: [python3], label: python3 });
  } else {
    tried.push('no python3 on PATH');
  }
  for (const candidate of candidates) {
    const version = await pythonVersion(candidate.command);
    if (version && isRecentEnough(version)) {
      return candidate.command;
    }
    tried.push(version ? `${candidate.label} is ${version.join('.')}` : `${candidate.label} does not run`);
  }
  throw new InstallError(
    'no-python',
    `Mistral could not install its server: it needs Python ${MIN_PYTHON.join('.')} or newer (${tried.join('; ')}). ` +
      `Install one and select it with "Python: Select Interpreter" (or put it on PATH as python3), ${REINSTALL}.`,
  );
}

/** Runs a command, logging each output line; resolves with its exit code and all lines. */
function run(command: string, args: readonly string[], log: (line: string) => void): Promise<{ code: number | null; lines: string[] }> {
  return new Promise((resolve) => {
    const lines: string[] = [];
    const child = spawn(command, args, { env: { ...process.env, PYTHONUNBUFFERED: '1' } });
    let pending = '';
    const take = (chunk: Buffer) => {
      pending += chunk.toString();
      const parts = pending.split(/\r?\n/);
      pending = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        log(line);
      }
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.once('error', (error) => {
      lines.push(String(error));
      log(String(error));
      resolve({ code: null, lines });
    });
    child.once('close', (code) => {
      if (pending) {
        lines.push(pending);
        log(pending);
      }
      resolve({ code, lines });
    });
  });
}

/**
 * The Python of the installed bundled server: installs `wheel` first when it is not installed
 * (or when `force`). Throws `InstallError` with the message to show.
 */
export async function ensureBundledServer(
  storagePath: string,
  wheel: BundledWheel,
  settings: InstallSettings,
  host: InstallHost,
  force = false,
): Promise<string> {
  const root = path.join(storagePath, 'server');
  const target = path.join(root, wheel.id);
  if (force) {
    await fs.rm(target, { recursive: true, force: true });
  } else {
    const python = await installedPython(storagePath, wheel);
    if (python) {
      return python;
    }
  }
  return host.withProgress(`Mistral: installing the server ${wheel.version}`, async (report) => {
    host.log(`Installing the bundled server ${path.basename(wheel.file)} into ${target}.`);
    report('finding Python ≥ 3.10');
    const base = await findBasePython(host);
    const [baseFile, ...baseArgs] = base;
    const partial = `${target}.partial-${process.pid}-${Date.now()}`;
    await fs.mkdir(root, { recursive: true });
    report('creating a virtual environment');
    host.log(`$ ${[...base, '-m', 'venv', partial].join(' ')}`);
    const venv = await run(baseFile ?? 'python3', [...baseArgs, '-m', 'venv', partial], host.log);
    if (venv.code !== 0) {
      await fs.rm(partial, { recursive: true, force: true });
      const last = venv.lines.filter((line) => line.trim()).at(-1)?.trim() ?? '';
      throw new InstallError(
        'venv',
        `Mistral could not install its server: \`${base.join(' ')} -m venv\` failed${last ? ` (${last})` : ''}. ` +
          `On Debian or Ubuntu install the python3-venv package, or select another Python ≥ ${MIN_PYTHON.join('.')}, ${REINSTALL}.`,
      );
    }
    report('installing with pip (the output is in the log)');
    const args = pipArguments(wheel.file, settings);
    host.log(`$ ${[venvPython(partial), ...args].join(' ')}`);
    const pip = await run(venvPython(partial), args, host.log);
    if (pip.code !== 0) {
      await fs.rm(partial, { recursive: true, force: true });
      throw describePipFailure(pip.code, pip.lines, settings);
    }
    await fs.writeFile(
      path.join(partial, COMPLETE),
      JSON.stringify({ version: wheel.version, wheel: path.basename(wheel.file), python: base, installed: new Date().toISOString() }),
    );
    try {
      await fs.rename(partial, target);
    } catch {
      // Another window finished the same install first: keep its folder.
      await fs.rm(partial, { recursive: true, force: true });
    }
    await removeOtherInstalls(root, wheel.id, host.log);
    host.log(`The bundled server ${wheel.version} is installed.`);
    return venvPython(target);
  });
}

/** Older installs and abandoned partial ones go (best effort: another window may still use one). */
async function removeOtherInstalls(root: string, keep: string, log: (line: string) => void): Promise<void> {
  for (const entry of await fs.readdir(root).catch(() => [] as string[])) {
    if (entry !== keep && !entry.startsWith(`${keep}.partial-`)) {
      await fs.rm(path.join(root, entry), { recursive: true, force: true }).catch((error: unknown) => log(`Could not remove ${entry}: ${String(error)}`));
    }
  }
}
