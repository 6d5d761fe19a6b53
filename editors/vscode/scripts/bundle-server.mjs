// Builds the server's wheel from this repository into bundled/ (the .vsix carries it; the
// extension installs it into a private virtual environment on first use, src/common/serverInstall.ts).
// Python: $MISTRAL_PYTHON, else the repository's .venv, else python3. `pip wheel --no-deps`
// builds with the project's own build backend (hatchling), fetched like any build requirement.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const extension = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const repo = path.resolve(extension, '..', '..');
const out = path.join(extension, 'bundled');
const venvPython = path.join(repo, '.venv', 'bin', 'python');
const python = process.env.MISTRAL_PYTHON || (existsSync(venvPython) ? venvPython : 'python3');

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
execFileSync(python, ['-m', 'pip', 'wheel', '--quiet', '--no-deps', '--wheel-dir', out, repo], { stdio: 'inherit' });
const wheels = readdirSync(out).filter((name) => /^mistral_lsp-.+\.whl$/.test(name));
if (wheels.length !== 1) {
  console.error(`bundle-server: expected one mistral_lsp wheel in ${out}, found: ${readdirSync(out).join(', ') || 'nothing'}`);
  process.exit(1);
}
console.log(`bundle-server: ${path.join('bundled', wheels[0])}`);
