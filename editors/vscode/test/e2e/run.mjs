// End-to-end test of the extension in real VS Code: code-server (already running, extension
// installed) in headless Chromium, driven through its UI with playwright-core. Started by
// tests/editors/test_vscode.py, which writes the scenario file and owns every process.
//
//   node test/e2e/run.mjs scenario.json
//
// scenario.json: {url, workspace, fakeControl, artifacts, chromium, apiKey, steps: {...}}.
// Every wait is on a selector or a condition with a timeout, never a fixed sleep. Each step
// leaves a screenshot in `artifacts`; a failure leaves `failure.png` and the page's text.
import { existsSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { fakeApi, normalize, openBrowser, waitUntil, workbench } from './driver.mjs';

const scenario = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const { url, workspace, fakeControl, artifacts } = scenario;
mkdirSync(artifacts, { recursive: true });

const started = Date.now();
const seconds = () => ((Date.now() - started) / 1000).toFixed(1);
const log = (message) => console.log(`[e2e ${seconds()}s] ${message}`);
const results = [];

const fake = fakeApi(fakeControl);
const { browser, page } = await openBrowser(scenario.chromium);
const { shot, statusItem, statusItemStartingWith, runCommand, goToLine, openFile } = workbench(page, { log, artifacts });
const consoleErrors = [];
page.on('console', (message) => {
  if (message.type() === 'error') {
    consoleErrors.push(message.text());
  }
});

// MISTRAL_E2E_ONLY (comma-separated words): run only the steps whose name holds one of them, plus
// the first two (start, keys), which every other step needs. For iterating on one step.
const only = (process.env.MISTRAL_E2E_ONLY ?? '').split(',').map((word) => word.trim()).filter(Boolean);
let stepCount = 0;

async function step(name, body) {
  stepCount += 1;
  if (only.length && stepCount > 2 && !only.some((word) => name.includes(word))) {
    log(`SKIP ${name}`);
    return;
  }
  const t0 = Date.now();
  log(`STEP ${name}`);
  await body();
  const took = (Date.now() - t0) / 1000;
  results.push({ name, seconds: took });
  log(`PASS ${name} (${took.toFixed(1)}s)`);
}

/** The visible text of the active editor (Monaco renders lines; enough for short files). */
async function activeEditorText() {
  return page.locator('.editor-group-container.active .monaco-editor .view-lines').first().innerText();
}

/**
 * Finds a webview frame whose state satisfies `predicate(text, done)` (`done`: the explain view
 * rendered the finished answer); returns its text.
 */
async function webviewText(predicate) {
  for (const frame of page.frames()) {
    if (frame === page.mainFrame()) {
      continue;
    }
    try {
      const { text, done } = await frame.evaluate(() => ({
        text: document.body?.innerText ?? '',
        done: document.body?.dataset.done === 'true',
      }));
      if (predicate(text, done)) {
        return text;
      }
    } catch {
      // frame detached or not ready
    }
  }
  return undefined;
}

/** Presses `button` of the notification holding `hasText`: its toast, or in the notification centre once the toast hid. */
async function pressNotificationButton(hasText, button) {
  const toast = page.locator('.notification-toast', { hasText }).first();
  if (await toast.isVisible()) {
    await toast.locator('.monaco-button', { hasText: button }).click();
    return;
  }
  log(`the "${hasText}" toast hid: pressing ${button} in the notification centre`);
  await runCommand('Notifications: Show Notifications');
  await page.locator('.notifications-center .monaco-list-row', { hasText }).first().locator('.monaco-button', { hasText: button }).click();
}

try {
  await step('open VS Code with the extension running', async () => {
    await page.goto(url);
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    // Idle, or fail fast when the server could not start (its log says why).
    await statusItemStartingWith('Mistral: idle').or(statusItem('Mistral: server stopped')).waitFor({ timeout: 60_000 });
    if (await statusItem('Mistral: server stopped').count()) {
      throw new Error('the mistral-lsp server did not start: see logs/*/exthost1/mistral-lsp.mistral-vscode/Mistral.log');
    }
    await shot('01-workbench');
  });

  /** Types a key into the Set API Key box and waits for the restarted server. */
  async function enterKey(key, shotName) {
    const input = page.locator('.quick-input-widget .quick-input-box input[type="password"]');
    await input.waitFor({ state: 'visible' });
    await input.fill(key);
    if (shotName) {
      await shot(shotName);
    }
    await page.keyboard.press('Enter');
    await page.locator('.statusbar-item', { hasText: 'API key saved; server restarted' }).waitFor({ timeout: 30_000 });
    await statusItem('Mistral: idle').waitFor({ timeout: 30_000 });
  }

  const keys = scenario.steps.keys;
  await step('a key error carries Set API Key; a rejected stored key is named as the one in use', async () => {
    await openFile(keys.file);
    // No key anywhere (MISTRAL_BASE_URL points at the fake, so no prompt at start-up).
    await runCommand('Mistral: Review');
    const missing = page.locator('.notification-toast', { hasText: 'no Mistral API key' });
    await missing.waitFor({ timeout: 30_000 });
    await shot('02-missing-key-error');
    await missing.locator('.monaco-button', { hasText: 'Set API Key' }).click();
    await enterKey(keys.wrongKey);
    await page.locator('.statusbar-item', { hasText: 'API key saved; server restarted' }).waitFor({ state: 'hidden', timeout: 15_000 });

    await runCommand('Mistral: Review');
    const rejected = page.locator('.notification-toast', { hasText: 'The key in use is the one stored with' });
    await rejected.waitFor({ timeout: 30_000 });
    // The status bar keeps saying so after the notification hides.
    await statusItem('Mistral: API key rejected').waitFor();
    await shot('02b-rejected-key-error');
    await rejected.locator('.monaco-button', { hasText: 'Set API Key' }).click();
    await enterKey(scenario.apiKey, '02c-set-api-key');
  });

  const fix = scenario.steps.fix;
  const name = path.basename(fix.file);
  /** The CodeLens of the pending hunks: [{y, links: [texts]}], top to bottom. */
  async function hunkLenses() {
    const lenses = await page.locator('.editor-group-container.active .monaco-editor .codelens-decoration').evaluateAll((nodes) =>
      nodes.map((node) => ({ y: node.getBoundingClientRect().top, links: [...node.querySelectorAll('a')].map((a) => a.textContent.trim()) })),
    );
    return lenses.filter((lens) => lens.links.some((text) => text.endsWith('Accept'))).sort((a, b) => a.y - b.y);
  }
  /** The text of the active editor's CodeLenses (a lens without a command is no link). */
  async function lensText() {
    return normalize((await page.locator('.editor-group-container.active .monaco-editor .codelens-decoration').allInnerTexts()).join('\n'));
  }
  /** Clicks the CodeLens link `text` of the `index`-th pending hunk (0-based, top to bottom). */
  async function clickHunkLens(index, text) {
    const lenses = await waitUntil(`a CodeLens for hunk ${index + 1}`, async () => {
      const found = await hunkLenses();
      return found.length > index ? found : undefined;
    });
    const y = lenses[index].y;
    const decorations = page.locator('.editor-group-container.active .monaco-editor .codelens-decoration');
    const count = await decorations.count();
    for (let i = 0; i < count; i++) {
      const decoration = decorations.nth(i);
      const box = await decoration.boundingBox();
      if (box && Math.abs(box.y - y) < 1) {
        await decoration.locator('a', { hasText: text }).first().click();
        return;
      }
    }
    throw new Error(`no CodeLens "${text}" for hunk ${index + 1}`);
  }
  /** Runs Fix at `line` and waits for its inline proposal (the status item), then opens its diff (the status item's Show the diff). */
  async function previewFix(line, mustSee, afterFix = async () => undefined) {
    await openFile(fix.file, line);
    await runCommand('Mistral: Fix');
    // A fix already pending shows the same status item: `afterFix` waits for the new one.
    await afterFix();
    await statusItemStartingWith(`Mistral: fix pending for ${name}`).waitFor({ timeout: 30_000 });
    await page.locator('.notification-toast', { hasText: 'apply this fix' }).first().waitFor();
    await statusItemStartingWith(`Mistral: fix pending for ${name}`).click();
    const show = page.locator('.quick-input-list .monaco-list-row', { hasText: 'Show the diff' }).first();
    await show.waitFor();
    await show.click();
    const diff = page.locator('.monaco-diff-editor').first();
    await waitUntil('the proposed text in the diff', async () =>
      normalize(await diff.locator('.editor.modified .view-lines').innerText({ timeout: 1_000 })).includes(mustSee),
    30_000);
    await statusItemStartingWith(`Mistral: fix pending for ${name}`).waitFor();
    return diff;
  }
  const sourceTab = () => page.locator(`.tab[data-resource-name="${name}"]`).filter({ hasNotText: 'Mistral fix' }).first();

  await step('typed while a fix is previewed: the proposal is read-only (said in its title); typing on its lines in the source makes Accept refuse', async () => {
    await fake('/_fake/replies', [fix.reply]);
    const diff = await previewFix(fix.line, fix.mustSeeInDiff);
    const toast = page.locator('.notification-toast', { hasText: 'apply this fix' });
    await toast.waitFor();
    // The rule, said where the user types: the diff's title.
    await page.locator('.tab.active', { hasText: 'read-only' }).waitFor({ timeout: 5_000 });
    // Typing into the proposal: VS Code refuses it, and the proposal stays as proposed.
    await diff.locator('.editor.modified .view-line', { hasText: fix.mustSeeInDiff }).first().click();
    await page.keyboard.press('End');
    await page.keyboard.type(' and more');
    await page.locator('.monaco-editor-overlaymessage', { hasText: 'read-only' }).waitFor({ timeout: 5_000 });
    if (normalize(await diff.locator('.editor.modified .view-lines').innerText()).includes('and more')) {
      throw new Error('text typed into the proposal was taken');
    }
    await shot('03a-proposal-read-only');
    // Typing into the source, on the line the fix changes, while the preview is open.
    await sourceTab().click();
    await page.locator('.tab.active', { hasNotText: 'Mistral fix' }).first().waitFor();
    await goToLine(fix.line);
    await page.keyboard.press('End');
    await page.keyboard.type('  # typed');
    await page.locator(`.tab.dirty[data-resource-name="${name}"]`).first().waitFor();
    // The inline proposal says so on the change itself, and its own Accept (the CodeLens) refuses.
    await waitUntil('the CodeLens saying the change was edited', async () => (await lensText()).includes('Edited since proposed'));
    await clickHunkLens(0, 'Accept');
    await page.locator('.notification-toast', { hasText: `the change at line ${fix.line} of ${name} was not applied: line ${fix.line} was edited` }).waitFor({ timeout: 15_000 });
    await waitUntil('the CodeLens saying why the change was not applied', async () =>
      (await lensText()).includes(`Not applied: line ${fix.line} was edited`),
    );
    if (normalize(await activeEditorText()).includes(fix.mustSeeInDiff)) {
      throw new Error('the CodeLens Accept applied a change whose line was typed on');
    }
    // The notification's Accept (every change) refuses too.
    await pressNotificationButton('apply this fix', 'Accept');
    const refused = page.locator('.notification-toast', { hasText: `was edited on line ${fix.line}, which the fix changes` });
    await refused.waitFor({ timeout: 15_000 });
    await page.locator('.monaco-diff-editor').first().waitFor({ state: 'hidden' });
    await statusItemStartingWith(`Mistral: fix pending for ${name}`).waitFor({ state: 'hidden' });
    const text = normalize(await activeEditorText());
    if (text.includes(fix.mustSeeInDiff) || !text.includes('  # typed')) {
      throw new Error(`a refused fix changed the source: ${JSON.stringify(text)}`);
    }
    await shot('03b-stale-accept-refused');
    await runCommand('File: Revert File');
    await page.locator(`.tab.dirty[data-resource-name="${name}"]`).first().waitFor({ state: 'hidden' });
    await runCommand('Notifications: Clear All Notifications');
  });

  await step('a closed preview and a replaced one say so; the closed one\'s Accept says it is gone', async () => {
    await fake('/_fake/replies', [fix.reply]);
    const diff = await previewFix(fix.line, fix.mustSeeInDiff);
    const toast = page.locator('.notification-toast', { hasText: 'apply this fix' });
    await toast.waitFor();
    await diff.locator('.editor.modified .view-line').first().click();
    await page.keyboard.press('Control+W');
    await page.locator('.notification-toast', { hasText: `the fix preview for ${name} was closed, so the fix was not applied` }).waitFor({ timeout: 15_000 });
    await statusItemStartingWith(`Mistral: fix pending for ${name}`).waitFor({ state: 'hidden' });
    await pressNotificationButton('apply this fix', 'Accept');
    await page.locator('.notification-toast', { hasText: `that fix for ${name} was closed with its preview, so it was not applied` }).waitFor({ timeout: 10_000 });
    if (normalize(await activeEditorText()).includes(fix.mustSeeInDiff) || (await page.locator(`.tab.dirty[data-resource-name="${name}"]`).count())) {
      throw new Error('the Accept of a closed preview changed the file');
    }
    await shot('03c-closed-preview-accept');
    await runCommand('Notifications: Clear All Notifications');

    // Two fixes told apart by their explanations (the decision notification's text).
    await fake('/_fake/replies', [fix.reply, fix.newerReply]);
    await previewFix(fix.line, fix.mustSeeInDiff);
    await previewFix(fix.line, fix.mustSeeInDiff, () =>
      page.locator('.notification-toast', { hasText: `the previous fix for ${name} was replaced by a newer one and not applied` }).waitFor({ timeout: 30_000 }),
    );
    await page.locator('.monaco-diff-editor').first().waitFor();
    await statusItemStartingWith(`Mistral: fix pending for ${name}`).waitFor();
    await page.locator('.notification-toast', { hasText: fix.newerExplanation }).first().waitFor();
    await shot('03d-replaced-preview');
    // The replaced fix's notification: its Accept says what became of it, and applies nothing.
    await pressNotificationButton(fix.explanation, 'Accept');
    await page.locator('.notification-toast', { hasText: `that fix for ${name} was replaced by a newer one, so it was not applied` }).waitFor({ timeout: 10_000 });
    if (await page.locator(`.tab.dirty[data-resource-name="${name}"]`).count()) {
      throw new Error('the Accept of a replaced fix changed the file');
    }
    await statusItemStartingWith(`Mistral: fix pending for ${name}`).waitFor();
    // The newer one is the one pending: Reject it from the status bar.
    await statusItemStartingWith(`Mistral: fix pending for ${name}`).click();
    const reject = page.locator('.quick-input-list .monaco-list-row', { hasText: 'leave the file as it is' }).first();
    await reject.waitFor();
    await reject.click();
    await page.locator('.monaco-diff-editor').first().waitFor({ state: 'hidden' });
    await runCommand('Notifications: Clear All Notifications');
    if (readFileSync(path.join(workspace, fix.file), 'utf8').includes(fix.mustSeeInDiff)) {
      throw new Error('a rejected or replaced fix reached the disk');
    }
  });
  await step('Mistral: Fix shows the proposal inline (CodeLens Accept | Reject); Accept applies it; the saved file is fixed', async () => {
    await fake('/_fake/replies', [fix.reply]);
    await openFile(fix.file, fix.line);
    await runCommand('Mistral: Fix');
    const toast = page.locator('.notification-toast', { hasText: 'apply this fix' });
    await toast.waitFor({ timeout: 30_000 });
    // Inline: no diff editor; the hunk's CodeLens above it, its removed line struck through.
    await waitUntil('the hunk\'s CodeLens', async () => (await hunkLenses()).length === 1);
    if (await page.locator('.monaco-diff-editor').count()) {
      throw new Error('a diff editor opened for an inline proposal');
    }
    // The model's one-line explanation heads the question, and the pending fix shows in the status bar.
    await toast.filter({ hasText: fix.explanation }).waitFor();
    await statusItemStartingWith(`Mistral: fix pending for ${path.basename(fix.file)}`).waitFor();
    await shot('03-fix-preview');
    await toast.locator('.monaco-button', { hasText: 'Accept' }).click();
    await statusItemStartingWith(`Mistral: fix pending for ${path.basename(fix.file)}`).waitFor({ state: 'hidden' });
    await page.locator(`.tab.active[data-resource-name="${path.basename(fix.file)}"]`).waitFor();
    await waitUntil('the fix in the editor', async () => normalize(await activeEditorText()).includes(fix.mustSeeInDiff));
    await page.keyboard.press('Control+S');
    const file = path.join(workspace, fix.file);
    await waitUntil('the fixed text on disk', () => readFileSync(file, 'utf8') === fix.expected, 15_000);
    await shot('04-fix-accepted-and-saved');
  });

  const codeAction = scenario.steps.codeAction;
  await step('the light bulb (Ctrl+.) Mistral: Fix goes through the same preview; Reject from the status bar changes nothing', async () => {
    await fake('/_fake/replies', [codeAction.reply]);
    await openFile(codeAction.file, codeAction.line);
    const action = page.locator('.action-widget .monaco-list-row', { hasText: 'Mistral: Fix' }).first();
    // The menu opens once the server answered textDocument/codeAction; a key press that lands
    // while the editor is still taking focus back is lost, so press again until it shows.
    await waitUntil(
      'the code action menu with Mistral: Fix',
      async () => {
        await page.keyboard.press('Control+.');
        return action.waitFor({ timeout: 2_000 }).then(
          () => true,
          () => false,
        );
      },
      20_000,
      0,
    );
    await shot('05-code-actions');
    await action.click();
    const toast = page.locator('.notification-toast', { hasText: 'apply this fix' });
    await toast.waitFor({ timeout: 30_000 });
    await waitUntil('the hunk\'s CodeLens', async () => (await hunkLenses()).length === 1);
    // The decision stays reachable after the notification: the status bar item.
    const pendingItem = statusItemStartingWith(`Mistral: fix pending for ${path.basename(codeAction.file)}`);
    await pendingItem.click();
    const reject = page.locator('.quick-input-list .monaco-list-row', { hasText: 'Reject' });
    await reject.waitFor();
    await shot('05b-fix-pending-menu');
    await reject.click();
    await pendingItem.waitFor({ state: 'hidden' });
    await waitUntil('no CodeLens left', async () => (await hunkLenses()).length === 0);
    const name = path.basename(codeAction.file);
    await page.locator(`.tab[data-resource-name="${name}"]`).first().waitFor();
    if (await page.locator(`.tab.dirty[data-resource-name="${name}"]`).count()) {
      throw new Error(`${name} was modified by a rejected fix`);
    }
    if (normalize(await activeEditorText()).includes(codeAction.mustSeeInDiff)) {
      throw new Error('the rejected fix reached the editor');
    }
    const file = path.join(workspace, codeAction.file);
    if (readFileSync(file, 'utf8') !== codeAction.expected) {
      throw new Error(`${name} changed on disk after Reject`);
    }
  });

  const projectAction = scenario.steps.projectAction;
  await step('a project action (.mistral/actions) is in the light bulb and in Mistral: Run Project Action, and runs end to end', async () => {
    await openFile(projectAction.file, projectAction.line);
    const bulbRow = page.locator('.action-widget .monaco-list-row', { hasText: projectAction.title }).first();
    // As for Mistral: Fix: press again until the menu shows (a press while focus returns is lost).
    await waitUntil(
      `the code action menu with ${projectAction.title}`,
      async () => {
        await page.keyboard.press('Control+.');
        return bulbRow.waitFor({ timeout: 2_000 }).then(
          () => true,
          () => false,
        );
      },
      20_000,
      0,
    );
    await shot('05c-project-action-light-bulb');
    await page.keyboard.press('Escape');
    await bulbRow.waitFor({ state: 'hidden' });
    await fake('/_fake/replies', [projectAction.reply]);
    await runCommand('Mistral: Run Project Action');
    const pickRow = page.locator('.quick-input-list .monaco-list-row', { hasText: projectAction.title }).first();
    await pickRow.waitFor({ timeout: 15_000 });
    await shot('05d-project-action-quick-pick');
    await pickRow.click();
    await waitUntil('the project action\'s edit in the editor', async () => normalize(await activeEditorText()).includes(projectAction.mustSee), 30_000);
    await statusItemStartingWith('Mistral: idle').waitFor();
  });

  const hunks = scenario.steps.hunks;
  await step('hunks: a three-hunk fix shown inline; the second accepted by its CodeLens (one undo step), the first rejected by its keybinding, the last by its CodeLens; the count in the status bar; the saved file', async () => {
    const hunksName = path.basename(hunks.file);
    const pendingItem = (count) => statusItem(`Mistral: fix pending for ${hunksName}, ${count} change${count === 1 ? '' : 's'}`);
    await fake('/_fake/replies', [hunks.reply]);
    await openFile(hunks.file, hunks.line);
    await runCommand('Mistral: Fix');
    await pendingItem(3).waitFor({ timeout: 30_000 });
    await waitUntil('three hunks, each with its CodeLens', async () => (await hunkLenses()).length === 3);
    await shot('21-hunks-inline');
    await clickHunkLens(1, 'Accept');
    await pendingItem(2).waitFor({ timeout: 15_000 });
    await waitUntil('two hunks left, and the first one\'s Accept All counting them', async () => {
      const lenses = await hunkLenses();
      return lenses.length === 2 && lenses[0].links.includes('Accept All (2)');
    });
    await waitUntil('the accepted hunk in the editor', async () => normalize(await activeEditorText()).includes(hunks.acceptedText));
    await shot('22-hunk-accepted');
    // Undo takes the accepted hunk back in one step; redo brings it again.
    await page.locator('.editor-group-container.active .monaco-editor .view-line').first().click();
    await page.keyboard.press('Control+Z');
    await waitUntil('one undo takes the hunk back', async () => {
      const text = normalize(await activeEditorText());
      return !text.includes(hunks.acceptedText) && text.includes(hunks.undoneText);
    });
    await page.keyboard.press('Control+Shift+Z');
    await waitUntil('redo applies it again', async () => normalize(await activeEditorText()).includes(hunks.acceptedText));
    // The keybinding rejects the hunk at the cursor; the last one goes by its CodeLens.
    await goToLine(hunks.firstHunkLine);
    await page.keyboard.press('Control+Shift+Backspace');
    await pendingItem(1).waitFor({ timeout: 15_000 });
    // A rejected hunk leaves the text as it was: wait until VS Code asked for the lenses again.
    await waitUntil('one hunk left', async () => (await hunkLenses()).length === 1);
    await clickHunkLens(0, 'Reject');
    await statusItemStartingWith(`Mistral: fix pending for ${hunksName}`).waitFor({ state: 'hidden', timeout: 15_000 });
    await waitUntil('no CodeLens left', async () => (await hunkLenses()).length === 0);
    await page.keyboard.press('Control+S');
    const file = path.join(workspace, hunks.file);
    await waitUntil('the text on disk: only the second hunk applied', () => readFileSync(file, 'utf8') === hunks.expected, 15_000);
    await shot('23-hunks-saved');
    await runCommand('Notifications: Clear All Notifications');
  });

  const explain = scenario.steps.explain;
  await step('Mistral: Explain streams markdown into a view beside the editor', async () => {
    await fake('/_fake/replies', [explain.reply]);
    await openFile(explain.file, explain.line);
    await runCommand('Mistral: Explain');
    // Part of the answer is visible while the rest still streams.
    const partial = await waitUntil(
      'the first streamed words in the explain view',
      () => webviewText((text) => text.includes(explain.firstWords) && !text.includes(explain.lastWords)),
      30_000,
      50,
    );
    log(`explain view mid-stream: ${JSON.stringify(partial.slice(0, 120))}`);
    await shot('06-explain-streaming');
    const full = await waitUntil(
      'the whole explanation, rendered',
      () => webviewText((text, done) => done && text.includes(explain.lastWords)),
      30_000,
    );
    for (const needle of explain.mustSee) {
      if (!normalize(full).includes(needle)) {
        throw new Error(`explain view lacks ${JSON.stringify(needle)}: ${JSON.stringify(full)}`);
      }
    }
    // Code blocks are coloured: a highlighted keyword does not have the text's colour.
    const colours = await waitUntil('a highlighted keyword in the explain view', async () => {
      for (const frame of page.frames()) {
        const found = await frame
          .evaluate(() => {
            const keyword = document.querySelector('pre .hljs-keyword');
            return keyword ? { keyword: getComputedStyle(keyword).color, text: getComputedStyle(document.body).color } : undefined;
          })
          .catch(() => undefined);
        if (found) {
          return found;
        }
      }
      return undefined;
    });
    if (colours.keyword === colours.text) {
      throw new Error(`code in the explain view is not coloured: ${JSON.stringify(colours)}`);
    }
    // Explain's answer can be followed up: the field is there once it ended.
    await waitUntil('the follow-up field under the explanation', async () => {
      for (const frame of page.frames()) {
        const shown = await frame.evaluate(() => document.getElementById('followup')?.hidden === false).catch(() => false);
        if (shown) {
          return true;
        }
      }
      return false;
    });
    await shot('07-explain-done');
  });

  const cancel = scenario.steps.cancel;
  await step('Mistral: Cancel Running Requests stops a streaming explain at once', async () => {
    const before = (await fake('/_fake/disconnects')).length;
    await fake('/_fake/replies', [cancel.reply]);
    await openFile(cancel.file, cancel.line);
    await runCommand('Mistral: Explain');
    await waitUntil('the first words of the long explanation', () => webviewText((text) => text.includes(cancel.firstWords)), 30_000);
    await statusItemStartingWith(cancel.busyLabel).waitFor();
    await runCommand('Mistral: Cancel Running Requests');
    await waitUntil('"Cancelled." in the explain view', () => webviewText((text) => text.includes('Cancelled.')), 10_000);
    await waitUntil('the HTTP stream closed', async () => (await fake('/_fake/disconnects')).length > before, 10_000);
    await statusItem('Mistral: idle').waitFor();
    const text = await webviewText((t) => t.includes('Cancelled.'));
    if (text.includes(cancel.neverSeen)) {
      throw new Error(`text after the cancel reached the view: ${JSON.stringify(text)}`);
    }
    await shot('08-explain-cancelled');
  });

  await step("the explain view's Stop button stops a streaming answer", async () => {
    const before = (await fake('/_fake/disconnects')).length;
    await fake('/_fake/replies', [cancel.reply]);
    await openFile(cancel.file, cancel.line);
    await runCommand('Mistral: Explain');
    await waitUntil('the first words of the long explanation', () => webviewText((text) => text.includes(cancel.firstWords) && !text.includes('Cancelled.')), 30_000);
    const clicked = await waitUntil('the Stop button', async () => {
      for (const frame of page.frames()) {
        const done = await frame
          .evaluate(() => {
            const stop = document.getElementById('stop');
            if (!stop || stop.hidden) {
              return false;
            }
            stop.click();
            return true;
          })
          .catch(() => false);
        if (done) {
          return true;
        }
      }
      return false;
    });
    if (!clicked) {
      throw new Error('no Stop button in the explain view');
    }
    await waitUntil('"Cancelled." in the explain view', () => webviewText((text) => text.includes('Cancelled.')), 10_000);
    await waitUntil('the HTTP stream closed', async () => (await fake('/_fake/disconnects')).length > before, 10_000);
    await statusItem('Mistral: idle').waitFor();
  });

  /** Types `text` into the explain view's follow-up field and sends it with Enter. */
  async function typeFollowUp(text) {
    const frame = await waitUntil('the follow-up field in the explain view', async () => {
      for (const candidate of page.frames()) {
        const ready = await candidate
          .evaluate(() => {
            const field = document.getElementById('question');
            return Boolean(field && !field.disabled && !document.getElementById('followup').hidden);
          })
          .catch(() => false);
        if (ready) {
          return candidate;
        }
      }
      return undefined;
    });
    const field = frame.locator('#question');
    await field.fill(text);
    await field.press('Enter');
  }

  const chatRequests = async () => (await fake('/_fake/requests')).filter((r) => r.path.endsWith('/chat/completions'));
  const contentOf = (message) => (typeof message.content === 'string' ? message.content : JSON.stringify(message.content ?? ''));

  const ask = scenario.steps.ask;
  await step('Mistral: Ask takes a question, shows the lookups and the streamed answer; a follow-up typed in the view sends the earlier turn; Ask from the light bulb prompts too', async () => {
    await runCommand('Notifications: Clear All Notifications');
    const before = (await chatRequests()).length;
    // The model looks `add` up first (a tool call), then answers in pieces.
    await fake('/_fake/replies', [ask.toolReply, ask.reply]);
    await openFile(ask.file, ask.line);
    await runCommand('Mistral: Ask');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible' });
    await page.locator('.quick-input-widget', { hasText: `Mistral: Ask about ${ask.where}` }).waitFor();
    await input.fill(ask.question);
    await shot('17-ask-question');
    await page.keyboard.press('Enter');
    // The lookup line shows while the answer still streams.
    const streaming = await waitUntil(
      'the lookup line and the first words of the answer',
      () => webviewText((text, done) => !done && normalize(text).includes(ask.lookupLive) && text.includes(ask.firstWords)),
      30_000,
      50,
    );
    log(`ask view mid-stream: ${JSON.stringify(streaming.slice(0, 200))}`);
    await shot('18-ask-streaming-lookup');
    const done = await waitUntil('the whole answer, with what was looked up', () =>
      webviewText((text, finished) => finished && text.includes(ask.lastWords) && normalize(text).includes(ask.lookupFinal)),
    30_000);
    if (!done.includes(ask.question)) {
      throw new Error(`the ask view does not show the question: ${JSON.stringify(done)}`);
    }
    const asked = (await chatRequests()).slice(before);
    if (asked.length !== 2) {
      throw new Error(`expected 2 model requests (the tool call, then the answer), got ${asked.length}`);
    }
    const [first, second] = asked.map((r) => r.json);
    if (!first.tools?.length || !first.messages.some((m) => m.role === 'user' && contentOf(m).includes(ask.question))) {
      throw new Error(`the first request lacks the tools or the question: ${JSON.stringify(first).slice(0, 2000)}`);
    }
    if (!second.messages.some((m) => m.role === 'tool')) {
      throw new Error('the tool result did not go back to the model');
    }
    await shot('19-ask-done');

    // The follow-up, typed into the view: the earlier question and answer go with it.
    await fake('/_fake/replies', [ask.followUpReply]);
    await typeFollowUp(ask.followUp);
    const followed = await waitUntil('the follow-up answer under the first', () =>
      webviewText((text, finished) => finished && text.includes(ask.followUpWords) && text.includes(ask.lastWords)),
    30_000);
    for (const needle of [ask.question, ask.followUp]) {
      if (!followed.includes(needle)) {
        throw new Error(`the conversation lacks ${JSON.stringify(needle)}: ${JSON.stringify(followed)}`);
      }
    }
    const all = await chatRequests();
    const third = all[all.length - 1].json;
    if (all.length !== before + 3) {
      throw new Error(`expected one more model request for the follow-up, got ${all.length - before - 2}`);
    }
    const users = third.messages.filter((m) => m.role === 'user').map(contentOf);
    const assistants = third.messages.filter((m) => m.role === 'assistant').map(contentOf);
    if (!users.some((c) => c.includes(ask.question)) || !users[users.length - 1].includes(ask.followUp)) {
      throw new Error(`the follow-up request lacks the earlier or the new question: ${JSON.stringify(users).slice(0, 2000)}`);
    }
    if (!assistants.some((c) => c.includes(ask.lastWords))) {
      throw new Error(`the follow-up request lacks the earlier answer: ${JSON.stringify(assistants).slice(0, 2000)}`);
    }
    await shot('20-ask-follow-up');
    await statusItem('Mistral: idle').waitFor();

    // The light bulb's Mistral: Ask (the server's code action) prompts the same way and starts a new conversation.
    await fake('/_fake/replies', [ask.codeActionReply]);
    // Back to the source's editor group (Quick Open would open the file beside, in the view's).
    await runCommand('View: Focus First Editor Group');
    await openFile(ask.file, ask.line);
    const action = page.locator('.action-widget .monaco-list-row', { hasText: 'Mistral: Ask' }).first();
    await waitUntil(
      'the code action menu with Mistral: Ask',
      async () => {
        await page.keyboard.press('Control+.');
        return action.waitFor({ timeout: 2_000 }).then(
          () => true,
          () => false,
        );
      },
      20_000,
      0,
    );
    await action.click();
    await page.locator('.quick-input-widget', { hasText: `Mistral: Ask about ${ask.where}` }).waitFor();
    await page.locator('.quick-input-widget .quick-input-box input').fill(ask.codeActionQuestion);
    await page.keyboard.press('Enter');
    const fresh = await waitUntil('the code action\'s answer in a new conversation', () =>
      webviewText((text, finished) => finished && text.includes(ask.codeActionWords)),
    30_000);
    if (fresh.includes(ask.question) || !fresh.includes(ask.codeActionQuestion)) {
      throw new Error(`the code action's Ask did not start a new conversation: ${JSON.stringify(fresh)}`);
    }
    await statusItem('Mistral: idle').waitFor();
  });

  const tests = scenario.steps.tests;
  await step('Generate Tests from the editor context menu (Mistral submenu) opens the new test file', async () => {
    await fake('/_fake/replies', [tests.reply]);
    await openFile(tests.file, tests.line);
    // Shift+F10 opens the editor context menu at the cursor (a right click would move it).
    await page.keyboard.press('Shift+F10');
    const submenu = page.locator('.monaco-menu .action-item', { hasText: /^Mistral$/ }).first();
    await submenu.waitFor();
    await submenu.hover();
    const item = page.locator('.monaco-menu .action-item', { hasText: /^Generate Tests$/ }).first();
    await item.waitFor();
    await shot('09-context-submenu');
    await item.click();
    await page.locator(`.tab.active[data-resource-name="${path.basename(tests.testFile)}"]`).waitFor({ timeout: 30_000 });
    await waitUntil('the generated test in the editor', async () => normalize(await activeEditorText()).includes(tests.mustSee));
    // Where the tests went, said in words, with a button that opens the file.
    const told = page.locator('.notification-toast', { hasText: `created ${tests.testFile} with the new tests` });
    await told.waitFor({ timeout: 15_000 });
    await shot('10-tests-generated');
    await openFile(tests.file);
    await told.locator('.monaco-button', { hasText: 'Open' }).click();
    await page.locator(`.tab.active[data-resource-name="${path.basename(tests.testFile)}"]`).waitFor();
    // Nothing on disk until saved: the tests are an unsaved document with the file's path.
    const testPath = path.join(workspace, tests.testFile);
    if (existsSync(testPath)) {
      throw new Error(`${tests.testFile} exists on disk before it was saved (${readFileSync(testPath).length} bytes)`);
    }
    await page.locator(`.tab.active.dirty[data-resource-name="${path.basename(tests.testFile)}"]`).waitFor();
    // Closed without saving: still nothing on disk.
    await page.keyboard.press('Control+W');
    const dontSave = page.locator('.monaco-dialog-box .monaco-button', { hasText: "Don't Save" });
    await dontSave.waitFor();
    await shot('10b-tests-close-unsaved');
    await dontSave.click();
    await page.locator(`.tab[data-resource-name="${path.basename(tests.testFile)}"]`).waitFor({ state: 'hidden' });
    if (existsSync(testPath)) {
      throw new Error(`${tests.testFile} was left on disk after "Don't Save"`);
    }
    await runCommand('Notifications: Clear All Notifications');
  });

  const review = scenario.steps.review;
  await step('review on save (toggled from the status bar menu) reports findings in Problems', async () => {
    await statusItem('Mistral: idle').click();
    const pick = page.locator('.quick-input-list .monaco-list-row', { hasText: 'Turn on review on save' });
    await pick.waitFor();
    await shot('11-status-menu');
    await pick.click();
    await statusItem('Mistral: idle, review on save on').waitFor();
    await fake('/_fake/replies', [review.reply]);
    await openFile(review.file);
    // Control+End pressed before the editor has the focus goes nowhere, and the text would be
    // typed where the cursor was: press it until the cursor is on the file's last line.
    const lastLine = readFileSync(path.join(workspace, review.file), 'utf8').split('\n').length;
    await waitUntil(`the cursor on the last line (${lastLine}) of ${review.file}`, async () => {
      await page.keyboard.press('Control+End');
      return (await page.locator('.statusbar-item[id="status.editor.selection"]').innerText()).includes(`Ln ${lastLine},`);
    });
    await page.keyboard.insertText(review.append);
    await page.keyboard.press('Control+S');
    const problems = page.locator('.statusbar-item[id="status.problems"]');
    await waitUntil(
      `${review.expectedProblems} problems in the status bar`,
      async () => {
        const label = (await problems.getAttribute('aria-label')) ?? (await problems.innerText());
        const counts = [...label.matchAll(/(\d+)/g)].map((m) => Number(m[1]));
        return counts.reduce((a, b) => a + b, 0) === review.expectedProblems;
      },
      30_000,
    );
    await page.keyboard.press('Control+Shift+M');
    await page.locator('.markers-panel').first().waitFor();
    // The status bar's count can run ahead of the panel's list: wait for the list too.
    await waitUntil(
      `the Problems panel to list ${JSON.stringify(review.mustSee)}`,
      async () => {
        const panelText = await page.locator('.markers-panel').first().innerText();
        return review.mustSee.every((needle) => panelText.includes(needle));
      },
      30_000,
    );
    // Source and code read cleanly: "mistral(bug)", not "mistral(mistral/bug)".
    const panelText = await page.locator('.markers-panel').first().innerText();
    // (The panel renders the source and the code as two elements: their text is "mistral" then "bug".)
    if (!/mistral\s*\(?\s*bug\b/.test(panelText) || panelText.includes('mistral/')) {
      throw new Error(`the Problems panel's source/code: ${JSON.stringify(panelText)}`);
    }
    await shot('12-review-on-save-problems');
  });

  await step('Restart Server keeps review on save on and brings the findings back from the cache', async () => {
    const chatsBefore = (await fake('/_fake/requests')).filter((r) => r.path.endsWith('/chat/completions')).length;
    await runCommand('Notifications: Clear All Notifications');
    await runCommand('Mistral: Restart Server');
    // The restarted server starts from the settings (off); the extension toggles it back on,
    // silently: nothing changed for the user, so no "review on save is on" notice.
    await statusItem('Mistral: idle, review on save on').waitFor({ timeout: 30_000 });
    if (await page.locator('.notification-toast', { hasText: 'review on save is' }).count()) {
      throw new Error('restoring review on save after a restart popped up a notice');
    }
    const problems = page.locator('.statusbar-item[id="status.problems"]');
    await waitUntil(
      `${review.expectedProblems} problems again after the restart`,
      async () => {
        const label = (await problems.getAttribute('aria-label')) ?? (await problems.innerText());
        const counts = [...label.matchAll(/(\d+)/g)].map((m) => Number(m[1]));
        return counts.reduce((a, b) => a + b, 0) === review.expectedProblems;
      },
      30_000,
    );
    // The status bar's count can run ahead of the panel's list: wait for the list too.
    await waitUntil(
      `the Problems panel to list ${JSON.stringify(review.mustSee)} after the restart`,
      async () => {
        const panelText = await page.locator('.markers-panel').first().innerText();
        return review.mustSee.every((needle) => panelText.includes(needle));
      },
      30_000,
    );
    const chatsAfter = (await fake('/_fake/requests')).filter((r) => r.path.endsWith('/chat/completions')).length;
    if (chatsAfter !== chatsBefore) {
      throw new Error(`the restored findings cost ${chatsAfter - chatsBefore} model request(s)`);
    }
    await shot('13-after-restart');
  });

  await step('a 401 during review on save: the status bar shows the rejected key and the paused review until a key is set', async () => {
    await fake('/_fake/replies', [{ status: 401 }]);
    await openFile(review.file);
    const lastLine = readFileSync(path.join(workspace, review.file), 'utf8').split('\n').length;
    await waitUntil(`the cursor on the last line (${lastLine}) of ${review.file}`, async () => {
      await page.keyboard.press('Control+End');
      return (await page.locator('.statusbar-item[id="status.editor.selection"]').innerText()).includes(`Ln ${lastLine},`);
    });
    await page.keyboard.insertText(review.appendForPause);
    await page.keyboard.press('Control+S');
    await statusItem('Mistral: API key rejected, review on save paused').waitFor({ timeout: 30_000 });
    await shot('13b-review-on-save-paused');
    await runCommand('Mistral: Set API Key');
    await page.locator('.quick-input-widget .quick-input-box input[type="password"]').waitFor({ state: 'visible' });
    await page.locator('.quick-input-widget .quick-input-box input[type="password"]').fill(scenario.apiKey);
    await page.keyboard.press('Enter');
    await statusItem('Mistral: idle, review on save on').waitFor({ timeout: 30_000 });
    await runCommand('Notifications: Clear All Notifications');
  });

  const completion = scenario.steps.completion;
  await step('inline completion: toggled on, typing shows ghost text, Tab accepts, the saved file holds it', async () => {
    await runCommand('Mistral: Toggle Inline Completion');
    await statusItem('Mistral completion: on').waitFor({ timeout: 10_000 });
    // Every FIM request gets this answer; the server's debounce drops the keystrokes' older ones.
    await fake('/_fake/default_reply', completion.reply);
    const before = (await fake('/_fake/requests')).filter((r) => r.path === '/v1/fim/completions').length;
    await openFile(completion.file, completion.line);
    await page.keyboard.press('End');
    await page.keyboard.type(completion.type, { delay: 30 });
    // Monaco renders ghost text as decorations whose classes contain "ghost-text".
    const ghostText = () =>
      page.evaluate(() =>
        [...document.querySelectorAll('.editor-group-container.active .monaco-editor [class*="ghost-text"]')]
          .map((element) => element.textContent ?? '')
          .join(''),
      );
    await waitUntil('the ghost text', async () => normalize(await ghostText()).includes(completion.mustSeeGhost), 30_000);
    await shot('14-inline-completion-ghost');
    const asked = (await fake('/_fake/requests')).filter((r) => r.path === '/v1/fim/completions');
    if (asked.length <= before) {
      throw new Error('no FIM request reached the fake API');
    }
    log(`FIM requests while typing ${JSON.stringify(completion.type)}: ${asked.length - before}`);
    await page.keyboard.press('Tab');
    await waitUntil('the accepted text in the editor', async () => normalize(await activeEditorText()).includes(completion.mustSeeAfter));
    await page.keyboard.press('Control+S');
    const file = path.join(workspace, completion.file);
    await waitUntil('the completed text on disk', () => readFileSync(file, 'utf8') === completion.expected, 15_000);
    await shot('15-inline-completion-accepted');
  });

  /** The mistral-lsp processes of this code-server (its process group), by pid. */
  function serverPids() {
    const pids = [];
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) {
        continue;
      }
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const pgrp = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
        const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ');
        if (pgrp === scenario.serverGroup && /mistral[-_]lsp/.test(cmdline) && !/code-server|node/.test(cmdline)) {
          pids.push(Number(entry));
        }
      } catch {
        // gone meanwhile
      }
    }
    return pids;
  }

  await step('a server killed mid-run shows "server stopped" with the cause and Restart / Show Logs; Restart brings it back', async () => {
    await runCommand('Notifications: Clear All Notifications');
    await fake('/_fake/replies', [cancel.reply]);
    await openFile(cancel.file, cancel.line);
    await runCommand('Mistral: Explain');
    await waitUntil('the first words of the long explanation', () => webviewText((text) => text.includes(cancel.firstWords) && !text.includes('Cancelled.')), 30_000);
    const pids = serverPids();
    if (pids.length !== 1) {
      throw new Error(`expected one mistral-lsp process in group ${scenario.serverGroup}, found ${JSON.stringify(pids)}`);
    }
    process.kill(pids[0], 'SIGKILL');
    await statusItem('Mistral: server stopped').waitFor({ timeout: 20_000 });
    const stopped = page.locator('.notification-toast', { hasText: 'the server stopped (it was killed by SIGKILL)' });
    await stopped.waitFor({ timeout: 10_000 });
    await stopped.locator('.monaco-button', { hasText: 'Show Logs' }).waitFor();
    // The run it cut short says so in words, not as a JSON-RPC error.
    await waitUntil('the explain view saying the server stopped', () => webviewText((text) => text.includes('server stopped before it answered')), 10_000);
    await shot('16-server-stopped');
    // No generic client toasts (-32097 / -32099, "Connection to server got closed").
    const toasts = await page.locator('.notification-toast').allInnerTexts();
    const generic = toasts.filter((text) => /-3209\d|Connection to server|crashed|Pending response/i.test(text));
    if (generic.length) {
      throw new Error(`generic error toasts: ${JSON.stringify(generic)}`);
    }
    await stopped.locator('.monaco-button', { hasText: 'Restart Server' }).click();
    await statusItemStartingWith('Mistral: idle').waitFor({ timeout: 30_000 });
    if (serverPids().length !== 1) {
      throw new Error('Restart Server did not start a new server');
    }
  });

  const startFailure = scenario.steps.startFailure;
  await step('a server that fails to start: "server stopped" with its cause and Show Logs, no generic client toasts; fixing the setting brings it back', async () => {
    await runCommand('Notifications: Clear All Notifications');
    // The user points mistral.serverPath at a server that dies on start (its Remote settings).
    writeFileSync(startFailure.machineSettings, JSON.stringify({ 'mistral.serverPath': startFailure.serverPath }, null, 2));
    await statusItem('Mistral: server stopped').waitFor({ timeout: 30_000 });
    const failed = page.locator('.notification-toast', { hasText: startFailure.mustSee });
    await failed.waitFor({ timeout: 15_000 });
    await failed.locator('.monaco-button', { hasText: 'Show Logs' }).waitFor();
    await shot('16b-server-failed-to-start');
    // One notification: none of the client's own ("write EPIPE", "couldn't create connection…", -32099).
    const others = (await page.locator('.notification-toast').allInnerTexts()).filter((text) => !text.includes(startFailure.mustSee));
    if (others.length) {
      throw new Error(`other toasts beside the failure: ${JSON.stringify(others)}`);
    }
    writeFileSync(startFailure.machineSettings, JSON.stringify(startFailure.launch, null, 2));
    await statusItemStartingWith('Mistral: idle').waitFor({ timeout: 30_000 });
    await runCommand('Notifications: Clear All Notifications');
  });

  writeFileSync(path.join(artifacts, 'results.json'), JSON.stringify({ ok: true, seconds: Number(seconds()), steps: results }, null, 2));
  log(`ALL PASSED in ${seconds()}s`);
  await browser.close();
  process.exit(0);
} catch (error) {
  log(`FAIL: ${error.stack ?? error}`);
  try {
    await page.screenshot({ path: path.join(artifacts, 'failure.png') });
    writeFileSync(path.join(artifacts, 'failure-page.txt'), await page.locator('body').innerText());
    writeFileSync(path.join(artifacts, 'failure-statusbar.html'), await page.locator('.part.statusbar').first().innerHTML());
  } catch (inner) {
    log(`could not save the failure screenshot: ${inner}`);
  }
  if (consoleErrors.length) {
    log(`browser console errors:\n${consoleErrors.slice(-20).join('\n')}`);
  }
  writeFileSync(
    path.join(artifacts, 'results.json'),
    JSON.stringify({ ok: false, seconds: Number(seconds()), steps: results, error: String(error.stack ?? error) }, null, 2),
  );
  await browser.close().catch(() => undefined);
  process.exit(1);
}
