// What both end-to-end drivers (run.mjs, install.mjs) use to drive code-server in headless
// Chromium with playwright-core: waiting on a condition (never a fixed sleep), the fake API's
// control endpoints, and the workbench as a user reaches it (command palette, Quick Open, Go to
// Line, the status bar items by their accessible labels, screenshots).
import * as path from 'node:path';
import { chromium } from 'playwright-core';

/** Polls `condition` (sync or async) until it returns a truthy value; throws `what` on timeout. */
export async function waitUntil(what, condition, timeoutMs = 20_000, intervalMs = 100) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  while (Date.now() < deadline) {
    try {
      const value = await condition();
      if (value) {
        return value;
      }
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${lastError.message})` : ''}`);
}

/** Monaco renders spaces as no-break spaces. */
export const normalize = (text) => text.replace(/\u00a0/g, ' ');

/** Calls the fake API's control endpoints (`/_fake/...`): GET without a body, POST with one. */
export function fakeApi(fakeControl) {
  return async function fake(pathname, body) {
    const response = await fetch(`${fakeControl}${pathname}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) {
      throw new Error(`fake API ${pathname}: HTTP ${response.status} ${await response.text()}`);
    }
    return response.json();
  };
}

/** Headless Chromium with one 1400×900 page. */
export async function openBrowser(executablePath) {
  const browser = await chromium.launch({
    executablePath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(20_000);
  return { browser, page };
}

/** The workbench of `page`, driven as a user does; `log` gets a line per action, screenshots go to `artifacts`. */
export function workbench(page, { log, artifacts }) {
  async function shot(name) {
    const file = path.join(artifacts, `${name}.png`);
    await page.screenshot({ path: file });
    log(`screenshot ${file}`);
  }

  /** A status bar item by its accessible label. */
  const statusItem = (label) => page.locator(`.statusbar-item [aria-label="${label}"], .statusbar-item[aria-label="${label}"]`).first();

  /** The status bar item whose accessible label starts with `prefix`. */
  const statusItemStartingWith = (prefix) =>
    page.locator(`.statusbar-item [aria-label^="${prefix}"], .statusbar-item[aria-label^="${prefix}"]`).first();

  /** Runs a command from the command palette by its exact title ("Mistral: Fix"). */
  async function runCommand(title) {
    log(`command palette: ${title}`);
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible' });
    await input.fill(`>${title}`);
    // The first row must be exactly our command before Enter runs it.
    await waitUntil(`"${title}" first in the command palette`, async () => {
      const label = await page.locator('.quick-input-list .monaco-list-row').first().getAttribute('aria-label');
      return label !== null && (label === title || label.startsWith(`${title},`) || label.startsWith(`${title} `));
    });
    await page.keyboard.press('Enter');
    await page.locator('.quick-input-widget .quick-input-list').waitFor({ state: 'hidden' }).catch(() => undefined);
    log(`ran: ${title}`);
  }

  /** Puts the active editor's cursor on `line` (1-based) with Go to Line, and waits until it is there. */
  async function goToLine(line) {
    await page.keyboard.press('Control+G');
    const goto = page.locator('.quick-input-widget .quick-input-box input');
    await goto.waitFor({ state: 'visible' });
    await goto.fill(`:${line}`);
    // Enter before Go to Line has read the number is lost (the picker stays open): wait for its offer.
    await waitUntil(`Go to Line offering line ${line}`, async () =>
      (await page.locator('.quick-input-list .monaco-list-row').first().innerText({ timeout: 1_000 })).includes(`line ${line}`),
    );
    await page.keyboard.press('Enter');
    await waitUntil(`cursor on line ${line}`, async () =>
      (await page.locator('.statusbar-item[id="status.editor.selection"]').innerText()).includes(`Ln ${line},`),
    );
  }

  /** Opens a workspace file with Quick Open, waits until its editor is active, and goes to `line` if given. */
  async function openFile(relative, line) {
    await page.keyboard.press('Control+P');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible' });
    await input.fill(relative);
    const name = path.basename(relative);
    await waitUntil(`${relative} first in Quick Open`, async () => {
      const label = await page.locator('.quick-input-list .monaco-list-row').first().getAttribute('aria-label');
      return label === name || label?.startsWith(`${name},`) || label?.startsWith(`${name} `);
    });
    await page.keyboard.press('Enter');
    await page.locator(`.tab.active[data-resource-name="${name}"]`).waitFor();
    if (line !== undefined) {
      await goToLine(line);
    }
  }

  return { shot, statusItem, statusItemStartingWith, runCommand, goToLine, openFile };
}
