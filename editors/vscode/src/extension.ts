/**
 * Mistral for VS Code: starts the mistral-lsp server (common/server.ts) and adds the palette
 * commands, the editor context submenu, the status bar item, the fix preview and the explain
 * view (explain and ask, with follow-ups) on top of the server's code actions and commands
 * (docs/protocol.md).
 */
import * as vscode from 'vscode';
import { CONFIG_SECTION, Commands, ContextKeys, HUNKS_VIEW, SECRET_API_KEY, SERVER_NAME } from './common/constants';
import { registerLogger, traceError, traceInfo } from './common/log';
import { onDidChangePythonInterpreter } from './common/python';
import { MistralServer } from './common/server';
import { ReviewOnSaveToggle } from './common/reviewToggle';
import { presentServerMessage, SET_API_KEY } from './common/serverMessages';
import { classifyChange, reviewOnSaveEnabled } from './common/settings';
import { StatusBar, StatusModel } from './common/status';
import { StreamRouter } from './common/stream';
import * as api from './common/vscodeapi';
import { Actions } from './features/actions';
import { CompletionToggle, TOGGLE_COMPLETION_COMMAND } from './features/completion';
import { EXPLAIN_VIEW_TYPE, ExplainView } from './features/explainView';
import { FixPendingStatus } from './features/fixPendingStatus';
import { FixPreview } from './features/fixPreview';
import { HunkLensProvider } from './features/hunkLens';
import { HunkTree, type ReviewNode } from './features/hunkTree';
import { HunkView } from './features/hunkView';
import { UnsavedNewFiles } from './features/newFiles';

let server: MistralServer | undefined;

/** The server's answer to a toggle of review on save (mistral_lsp/lsp/commands.py). */
const REVIEW_ON_SAVE_STATE = /^Mistral: review on save is (on|off)\.?$/;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const log = api.createLogOutputChannel(SERVER_NAME);
  context.subscriptions.push(log);
  registerLogger(log);
  traceInfo(`Mistral extension ${String(context.extension.packageJSON.version)} activating.`);

  const status = new StatusModel();
  const streams = new StreamRouter();

  let actions: Actions | undefined;
  const newFiles = new UnsavedNewFiles();
  const reviewToggle = new ReviewOnSaveToggle(context.workspaceState);
  const configuredReviewOnSave = () => reviewOnSaveEnabled(api.getConfiguration(CONFIG_SECTION).get('reviewOnSave'));
  const mistral = new MistralServer({
    log,
    secrets: context.secrets,
    status,
    streams,
    routeCommand: (command, args) => actions?.route(command, args),
    documents: { handleApplyEdit: newFiles.handleApplyEdit, showDocument: newFiles.showDocument },
    install: { extensionPath: context.extensionPath, storagePath: context.globalStorageUri.fsPath },
    onLaunchFailure: (message, installFailed) => {
      if (installFailed) {
        void api.showErrorMessage(message, 'Reinstall Server', 'Open Settings', 'Show Logs').then((choice) => {
          if (choice === 'Reinstall Server') {
            void api.executeCommand(Commands.reinstallServer);
          } else if (choice === 'Open Settings') {
            // Machine settings: a remote window (code-server too) reads them from its Remote settings.
            if (api.remoteName()) {
              void api.executeCommand('workbench.action.openRemoteSettings', { query: 'mistral.install' });
            } else {
              void api.executeCommand('workbench.action.openSettings', 'mistral.install');
            }
          } else if (choice === 'Show Logs') {
            log.show();
          }
        });
        return;
      }
      // Launch settings are machine settings: a remote window reads them from its Remote settings.
      const settings = api.remoteName() ? 'Open Remote Settings' : 'Open Settings';
      void api.showErrorMessage(`Mistral: ${message}`, settings, 'Show Logs').then((choice) => {
        if (choice === 'Open Settings') {
          void api.executeCommand('workbench.action.openSettings', 'mistral.serverPath');
        } else if (choice === 'Open Remote Settings') {
          // This command takes an options object (a string argument is ignored: the tab opened unfiltered).
          void api.executeCommand('workbench.action.openRemoteSettings', { query: 'mistral.serverPath' });
        } else if (choice === 'Show Logs') {
          log.show();
        }
      });
    },
    onServerMessage: (type, message, keySource) => {
      if (actions?.restoringReviewOnSave && REVIEW_ON_SAVE_STATE.test(message)) {
        traceInfo(`${message} (restored for this workspace; not shown)`);
        return;
      }
      const shown = presentServerMessage(type, message, keySource);
      if (shown.keyRejected) {
        status.setKeyRejected(true);
      }
      if (shown.reviewPaused) {
        status.setReviewPaused(shown.reviewPaused);
      }
      const show =
        shown.severity === 'error' ? api.showErrorMessage : shown.severity === 'warning' ? api.showWarningMessage : api.showInformationMessage;
      void show(shown.text, ...shown.buttons).then((choice) => {
        if (choice === SET_API_KEY) {
          void api.executeCommand(Commands.setApiKey);
        }
      });
    },
    onStarted: () => {
      void actions?.restoreReviewOnSave();
    },
    onServerStopped: (cause) => {
      void api.showErrorMessage(`Mistral: the server stopped (${cause}).`, 'Restart Server', 'Show Logs').then((choice) => {
        if (choice === 'Restart Server') {
          void api.executeCommand(Commands.restart);
        } else if (choice === 'Show Logs') {
          log.show();
        }
      });
    },
  });
  server = mistral;
  const fixes = new FixPreview(mistral);
  const explainView = new ExplainView(
    streams,
    (id) => actions?.cancelRun(id),
    (question, conversationId) => void actions?.followUp(question, conversationId),
  );
  actions = new Actions(
    mistral,
    status,
    fixes,
    explainView,
    () => api.getConfiguration(CONFIG_SECTION).get<boolean>('previewFixes', true),
    reviewToggle,
    configuredReviewOnSave,
    newFiles,
  );
  const fixPending = new FixPendingStatus(api.createStatusBarItem('mistral.fixPending', 101), fixes, Commands.decideFix);
  const hunkView = new HunkView(fixes.hunks, fixes.onDidChangeHunks);
  const hunkTree = new HunkTree(fixes.hunks, fixes.onDidChangeHunks);
  /** A hunk command's argument: a hunk id (CodeLens), a tree node (Review all), or none (the cursor). */
  const hunkId = (arg: unknown): string | undefined =>
    typeof arg === 'string' ? arg : (arg as ReviewNode | undefined)?.kind === 'hunk' ? (arg as Extract<ReviewNode, { kind: 'hunk' }>).hunk.id : undefined;
  const a = actions;

  const statusBar = new StatusBar(api.createStatusBarItem('mistral.status', 100), status, Commands.showMenu, (busy) => {
    void api.setContext(ContextKeys.busy, busy);
  });

  const completion = new CompletionToggle(api.createStatusBarItem('mistral.completion', 99));

  context.subscriptions.push(
    statusBar,
    fixPending,
    completion,
    api.registerCommand(TOGGLE_COMPLETION_COMMAND, () => completion.toggle()),
    fixes,
    explainView,
    // After a window reload the explain view comes back where it was (else an empty group stays).
    api.registerWebviewPanelSerializer(EXPLAIN_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel, saved) => explainView.restore(panel, saved),
    }),
    { dispose: () => void mistral.dispose() },
    api.registerCommand(Commands.review, () => a.review()),
    api.registerCommand(Commands.explain, () => a.explain()),
    api.registerCommand(Commands.ask, () => a.ask()),
    api.registerCommand(Commands.fix, () => a.fix()),
    api.registerCommand(Commands.generateTests, () => a.generateTests()),
    api.registerCommand(Commands.customAction, () => a.custom()),
    api.registerCommand(Commands.cancel, () => a.cancel()),
    api.registerCommand(Commands.toggleReviewOnSave, () => a.toggleReviewOnSave()),
    api.registerCommand(Commands.acceptFix, () => fixes.accept()),
    api.registerCommand(Commands.rejectFix, () => fixes.reject()),
    api.registerCommand(Commands.decideFix, () => fixPending.decide()),
    hunkView,
    hunkTree,
    api.createTreeView(HUNKS_VIEW, { treeDataProvider: hunkTree, showCollapseAll: false }),
    api.registerCodeLensProvider([{ scheme: 'file' }, { scheme: 'untitled' }], new HunkLensProvider(fixes.hunks, fixes.onDidChangeHunks)),
    api.registerCommand(Commands.acceptHunk, (arg?: unknown) => fixes.acceptHunk(hunkId(arg))),
    api.registerCommand(Commands.rejectHunk, (arg?: unknown) => fixes.rejectHunk(hunkId(arg))),
    api.registerCommand(Commands.revealHunk, (arg?: unknown) => revealHunk(fixes, hunkId(arg))),
    api.registerCommand(Commands.restart, () => mistral.restart('Mistral: Restart Server')),
    api.registerCommand(Commands.reinstallServer, () => mistral.reinstall()),
    api.registerCommand(Commands.showLogs, () => log.show()),
    api.registerCommand(Commands.setApiKey, () => setApiKey(context.secrets, mistral, status)),
    api.registerCommand(Commands.showMenu, () => showMenu(status)),
    api.onDidChangeConfiguration((event) => {
      const change = classifyChange((section) => event.affectsConfiguration(section));
      for (const key of ['installIndexUrl', 'installFindLinks']) {
        if (event.affectsConfiguration(`${CONFIG_SECTION}.${key}`)) {
          traceInfo(`mistral.${key} changed: ${JSON.stringify(api.getConfiguration(CONFIG_SECTION).get(key))} (used by the next install: "Mistral: Reinstall Server")`);
        }
      }
      if (event.affectsConfiguration(CONFIG_SECTION)) {
        // The server resumes a paused review on save when its settings change.
        status.setReviewPaused(undefined);
      }
      if (event.affectsConfiguration('mistral.reviewOnSave') || event.affectsConfiguration('mistral.reviewOnSaveLanguages')) {
        // The setting itself changed: it ends the workspace's toggle, here as on the server.
        void reviewToggle.forget();
        status.setReviewOnSave(configuredReviewOnSave());
      }
      switch (change) {
        case 'restart':
          mistral.scheduleRestart('settings changed');
          break;
        case 'live':
          mistral.sendConfiguration().catch((error) => traceError('didChangeConfiguration failed:', error));
          break;
        case 'none':
          break;
      }
    }),
  );
  onDidChangePythonInterpreter(() => {
    const config = api.getConfiguration(CONFIG_SECTION);
    if (!config.get<string>('serverPath') && !config.get<string[]>('interpreter', []).length) {
      mistral.scheduleRestart('the Python interpreter changed');
    }
  }).then((disposable) => context.subscriptions.push(disposable), () => undefined);

  await mistral.restart('activation');
  void markMissingKey(context.secrets, status);
}

/**
 * Without a key anywhere, the first request to Mistral's API would fail: the status bar says so
 * ("set API key", warning colour) until a key is set, and a key error carries its own Set API Key
 * button. No notification at start-up: VS Code cannot take one back, and it would still say "no
 * key" after one was set. With a custom base URL a key may not be needed.
 */
async function markMissingKey(secrets: vscode.SecretStorage, status: StatusModel): Promise<void> {
  const config = api.getConfiguration(CONFIG_SECTION);
  const customUrl = Boolean(config.get<string>('baseUrl') || process.env.MISTRAL_BASE_URL);
  if (customUrl || process.env.MISTRAL_API_KEY || (await secrets.get(SECRET_API_KEY))) {
    return;
  }
  status.setKeyMissing(true);
}

/** Opens a hunk's file and puts the cursor on it (Review all). */
async function revealHunk(fixes: FixPreview, id: string | undefined): Promise<void> {
  const hunk = fixes.hunkFor(id);
  if (!hunk) {
    return;
  }
  const document = await api.openTextDocument(vscode.Uri.parse(hunk.uri));
  const position = new vscode.Position(hunk.range.start.line, 0);
  const editor = await api.showTextDocument(document, { preview: false, selection: new vscode.Range(position, position) });
  editor.revealRange(new vscode.Range(position, position), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
}

export async function deactivate(): Promise<void> {
  await server?.dispose();
  server = undefined;
}

async function setApiKey(secrets: vscode.SecretStorage, mistral: MistralServer, status: StatusModel): Promise<void> {
  const value = await api.showInputBox({
    title: 'Mistral: Set API Key',
    prompt: "Your Mistral API key. It is kept in VS Code's secret storage and given to the server as MISTRAL_API_KEY. Leave empty to remove it.",
    placeHolder: 'API key',
    password: true,
    ignoreFocusOut: true,
  });
  if (value === undefined) {
    return;
  }
  const key = value.trim();
  status.setKeyRejected(false);
  if (key) {
    await secrets.store(SECRET_API_KEY, key);
    status.setKeyMissing(false);
  } else {
    await secrets.delete(SECRET_API_KEY);
  }
  await mistral.restart(key ? 'API key set' : 'API key removed');
  vscode.window.setStatusBarMessage(key ? 'Mistral: API key saved; server restarted.' : 'Mistral: API key removed; server restarted.', 5000);
}

async function showMenu(status: StatusModel): Promise<void> {
  type Item = vscode.QuickPickItem & { command: string };
  const items: Item[] = [];
  if (status.server === 'stopped' || status.server === 'failed') {
    // What a stopped server needs first.
    items.push({ label: '$(debug-restart) Restart server', command: Commands.restart }, { label: '$(output) Show logs', command: Commands.showLogs });
  }
  items.push({
    label: `$(eye) ${status.reviewOnSave ? 'Turn off' : 'Turn on'} review on save`,
    description: 'for this workspace, until the setting changes',
    command: Commands.toggleReviewOnSave,
  });
  if (status.busy) {
    items.push({ label: '$(debug-stop) Cancel running requests', command: Commands.cancel });
  }
  if (status.server !== 'stopped' && status.server !== 'failed') {
    items.push({ label: '$(output) Show logs', command: Commands.showLogs }, { label: '$(debug-restart) Restart server', command: Commands.restart });
  }
  items.push(
    { label: '$(key) Set API key', description: "kept in VS Code's secret storage", command: Commands.setApiKey },
  );
  const choice = await api.showQuickPick(items, { title: 'Mistral', placeHolder: status.view().tooltip.split('\n')[0] });
  if (choice) {
    await api.executeCommand(choice.command);
  }
}
