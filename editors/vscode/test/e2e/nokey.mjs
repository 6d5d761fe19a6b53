// A new user's first start, with no API key anywhere and Mistral's own API: the status bar says
// so ("set API key") and no notification does — VS Code cannot take one back, so a start-up
// toast would still say "no key" after one is set. Set API Key clears the status bar's warning.
// Started by tests/editors/test_vscode.py (code-server running, extension installed).
//
//   node test/e2e/nokey.mjs scenario.json     scenario.json: {url, artifacts, chromium, apiKey}
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { openBrowser, workbench } from './driver.mjs';

const scenario = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const { url, artifacts } = scenario;
mkdirSync(artifacts, { recursive: true });
const started = Date.now();
const log = (message) => console.log(`[nokey ${((Date.now() - started) / 1000).toFixed(1)}s] ${message}`);

const { browser, page } = await openBrowser(scenario.chromium);
const { shot, statusItem, statusItemStartingWith, runCommand } = workbench(page, { log, artifacts });

/** Toasts and the notification centre's rows that speak of an API key. */
async function keyNotifications() {
  const toasts = await page.locator('.notification-toast').allInnerTexts();
  return toasts.filter((text) => /api key/i.test(text));
}

try {
  await page.goto(url);
  await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
  await statusItem('Mistral: idle, no API key').or(statusItem('Mistral: server stopped')).waitFor({ timeout: 60_000 });
  if (await statusItem('Mistral: server stopped').count()) {
    throw new Error('the mistral-lsp server did not start');
  }
  await shot('nokey-01-status-bar');
  // What a start-up toast would have been by now: the key hint is the status bar's alone.
  const shown = await keyNotifications();
  if (shown.length) {
    throw new Error(`a notification about the key at start-up: ${JSON.stringify(shown)}`);
  }
  await runCommand('Notifications: Show Notifications');
  const centre = await page.locator('.notifications-center .monaco-list-row').allInnerTexts();
  if (centre.some((text) => /api key/i.test(text))) {
    throw new Error(`the notification centre holds a key notification: ${JSON.stringify(centre)}`);
  }
  await page.keyboard.press('Escape');

  await runCommand('Mistral: Set API Key');
  const input = page.locator('.quick-input-widget .quick-input-box input[type="password"]');
  await input.waitFor({ state: 'visible' });
  await input.fill(scenario.apiKey);
  await page.keyboard.press('Enter');
  await statusItem('Mistral: idle').waitFor({ timeout: 30_000 });
  if (await statusItemStartingWith('Mistral: idle, no API key').count()) {
    throw new Error('the status bar still says there is no key');
  }
  await shot('nokey-02-key-set');
  writeFileSync(path.join(artifacts, 'nokey-results.json'), JSON.stringify({ ok: true }, null, 2));
  log('PASSED');
  await browser.close();
  process.exit(0);
} catch (error) {
  log(`FAIL: ${error.stack ?? error}`);
  await page.screenshot({ path: path.join(artifacts, 'nokey-failure.png') }).catch(() => undefined);
  await browser.close().catch(() => undefined);
  process.exit(1);
}
