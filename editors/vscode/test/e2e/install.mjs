// End-to-end test of the server the extension brings, in real VS Code (code-server, already
// running with the .vsix installed; started by tests/editors/test_vscode_install.py).
//
//   node test/e2e/install.mjs scenario.json
//
// mode "install": no server anywhere, no settings: the progress notification, the server up,
//   Fix end to end; then the first-hour fixes a user sees (completion status words, spaces in
//   an explanation's table, the explain view and review on save across a window reload).
// mode "fail": a wheelhouse without the dependencies: one notification naming the cause with
//   Reinstall Server; with the setting corrected, Reinstall Server installs and starts it.
// Every wait is on a selector or a condition with a timeout, never a fixed sleep.
import { existsSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { fakeApi, normalize, openBrowser, waitUntil, workbench } from './driver.mjs';

const scenario = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const { url, workspace, fakeControl, artifacts } = scenario;
mkdirSync(artifacts, { recursive: true });
const started = Date.now();
const log = (message) => console.log(`[install ${((Date.now() - started) / 1000).toFixed(1)}s] ${message}`);
const results = {};

const fake = fakeApi(fakeControl);
const { browser, page } = await openBrowser(scenario.chromium);
const { shot, statusItem, statusItemStartingWith, runCommand, openFile } = workbench(page, { log, artifacts });

/** Evaluates `fn` in each webview frame; returns the first truthy result. */
async function inWebviews(fn) {
  for (const frame of page.frames()) {
    if (frame === page.mainFrame()) {
      continue;
    }
    const value = await frame.evaluate(fn).catch(() => undefined);
    if (value) {
      return value;
    }
  }
  return undefined;
}

/** The extension's log files (Mistral output channel), concatenated. */
function extensionLog() {
  const logs = path.join(scenario.userData, 'logs');
  let text = '';
  for (const session of readdirSync(logs)) {
    for (const host of readdirSync(path.join(logs, session)).filter((name) => name.startsWith('exthost'))) {
      const file = path.join(logs, session, host, 'mistral-lsp.mistral-vscode', 'Mistral.log');
      if (existsSync(file)) {
        text += readFileSync(file, 'utf8');
      }
    }
  }
  return text;
}

const explainText = () => inWebviews(() => (document.getElementById('content') ? document.body.innerText : undefined));

async function openWorkbench() {
  await page.goto(url);
  await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
}

async function waitIdle(timeoutMs) {
  await statusItemStartingWith('Mistral: idle').or(statusItem('Mistral: server stopped')).waitFor({ timeout: timeoutMs });
  if (await statusItem('Mistral: server stopped').count()) {
    throw new Error('the server did not start: see the Mistral log');
  }
}

async function installMode() {
  await openWorkbench();
  // The first activation installs the bundled server, under a progress notification.
  const t0 = Date.now();
  await page.locator('.notification-toast', { hasText: 'Mistral: installing the server' }).waitFor({ timeout: 60_000 });
  await shot('install-01-progress');
  await waitIdle(300_000);
  results.installSeconds = (Date.now() - t0) / 1000;
  log(`installed and started in ${results.installSeconds}s`);

  // A fix, end to end, with the installed server.
  const fix = scenario.fix;
  await fake('/_fake/replies', [fix.reply]);
  await openFile(fix.file, fix.line);
  await runCommand('Mistral: Fix');
  // The proposal shows inline (its hunk's CodeLens and the pending fix in the status bar).
  const pending = statusItemStartingWith(`Mistral: fix pending for ${path.basename(fix.file)}`);
  await pending.waitFor({ timeout: 60_000 });
  await shot('install-02-fix-preview');
  await page.locator('.notification-toast', { hasText: 'apply this fix' }).locator('.monaco-button', { hasText: 'Accept' }).click();
  await pending.waitFor({ state: 'hidden' });
  await page.locator(`.tab.active[data-resource-name="${path.basename(fix.file)}"]`).click();
  await page.keyboard.press('Control+S');
  await waitUntil('the fixed text on disk', () => readFileSync(path.join(workspace, fix.file), 'utf8') === fix.expected, 15_000);
  await runCommand('Notifications: Clear All Notifications');

  // A request the API refuses: the server logs it (a line the Python side checks for one timestamp).
  await fake('/_fake/replies', [{ status: 400 }]);
  await runCommand('Mistral: Review');
  await waitUntil('a server line in the Mistral log', () => /mistral_lsp\.[\w.]+: /.test(extensionLog()), 60_000);
  await runCommand('Notifications: Clear All Notifications');

  // The completion status item says off in words.
  const completion = await statusItem('Mistral completion: off').innerText();
  if (!completion.includes('Completion off')) {
    throw new Error(`the completion item reads ${JSON.stringify(completion)}`);
  }
  results.completionText = completion;

  // An explanation whose table cell holds two spaces keeps them.
  const explain = scenario.explain;
  await fake('/_fake/replies', [explain.reply]);
  await openFile(explain.file, explain.line);
  await runCommand('Mistral: Explain');
  const cell = await waitUntil('the table in the explain view', () =>
    inWebviews(() => (document.body.dataset.done === 'true' ? document.querySelector('#content td')?.innerText : undefined)), 60_000);
  results.tableCell = cell;
  if (normalize(cell) !== explain.cell) {
    throw new Error(`the table cell reads ${JSON.stringify(cell)}, not ${JSON.stringify(explain.cell)}`);
  }
  await shot('install-03-explain-table');

  // Review on save toggled on for this workspace: its notice shows now (the user asked), not at the next load.
  await runCommand('Mistral: Toggle Review on Save');
  await page.locator('.notification-toast', { hasText: 'review on save is on' }).waitFor({ timeout: 30_000 });
  await statusItem('Mistral: idle, review on save on').waitFor({ timeout: 30_000 });
  await runCommand('Notifications: Clear All Notifications');

  // A window reload: the explain view comes back with its text, no empty editor group, no notice.
  // As a user reloads: the command shuts the window down (saving the views' state), then loads it.
  const reloaded = page.waitForEvent('load', { timeout: 60_000 });
  await runCommand('Developer: Reload Window');
  await reloaded;
  await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
  await statusItem('Mistral: idle, review on save on').waitFor({ timeout: 120_000 });
  const restored = await waitUntil('the explain view restored after the reload', async () => {
    const text = await explainText();
    return text && normalize(text).includes(explain.mustSee) ? text : undefined;
  }, 60_000);
  results.restoredExplain = normalize(restored).slice(0, 200);
  const emptyGroups = await page.locator('.editor-group-container.empty').count();
  results.emptyGroupsAfterReload = emptyGroups;
  const notices = await page.locator('.notification-toast', { hasText: 'review on save is' }).count();
  results.reviewNoticesAfterReload = notices;
  await shot('install-04-after-reload');
  if (emptyGroups) {
    throw new Error(`${emptyGroups} empty editor group(s) after the reload`);
  }
  if (notices) {
    throw new Error('"review on save is on" popped up at the window load');
  }
}

async function failMode() {
  await openWorkbench();
  const failure = page.locator('.notification-toast', { hasText: 'Mistral could not install its server' });
  await failure.waitFor({ timeout: 300_000 });
  await statusItem('Mistral: server stopped').waitFor({ timeout: 10_000 });
  const text = normalize(await failure.innerText());
  results.failureNotification = text;
  await shot('fail-01-notification');
  for (const needle of scenario.mustSee) {
    if (!text.includes(needle)) {
      throw new Error(`the notification lacks ${JSON.stringify(needle)}: ${JSON.stringify(text)}`);
    }
  }
  const mistralToasts = await page.locator('.notification-toast', { hasText: 'Mistral' }).count();
  results.mistralNotifications = mistralToasts;
  if (mistralToasts !== 1) {
    throw new Error(`${mistralToasts} Mistral notifications, not one`);
  }
  // The remedy: the setting corrected, then the notification's Reinstall Server.
  writeFileSync(scenario.machineSettings, JSON.stringify(scenario.fixedSettings, null, 2));
  await waitUntil('the extension to log the changed install setting', () => extensionLog().includes('mistral.installFindLinks changed'), 30_000);
  await failure.locator('.monaco-button', { hasText: 'Reinstall Server' }).click();
  await page.locator('.notification-toast', { hasText: 'Mistral: installing the server' }).waitFor({ timeout: 60_000 });
  await waitIdle(300_000);
  await shot('fail-02-reinstalled');
}

try {
  if (scenario.mode === 'install') {
    await installMode();
  } else {
    await failMode();
  }
  writeFileSync(path.join(artifacts, `install-${scenario.mode}-results.json`), JSON.stringify({ ok: true, ...results }, null, 2));
  log(`PASSED ${JSON.stringify(results)}`);
  await browser.close();
  process.exit(0);
} catch (error) {
  log(`FAIL: ${error.stack ?? error}`);
  await page.screenshot({ path: path.join(artifacts, `install-${scenario.mode}-failure.png`) }).catch(() => undefined);
  writeFileSync(path.join(artifacts, `install-${scenario.mode}-failure-page.txt`), await page.locator('body').innerText().catch(() => ''));
  await browser.close().catch(() => undefined);
  process.exit(1);
}
