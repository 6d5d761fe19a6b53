/**
 * The language client's lifecycle: resolve the launch command (python.ts), start
 * vscode-languageclient over stdio with the API key in the server's environment, answer
 * `workspace/configuration` for section `mistral` (settings.ts), send
 * `workspace/didChangeConfiguration` on live changes, restart (debounced) when a change needs
 * it, and route the server's commands, `$/progress` and `mistral/stream` to the extension.
 * A server that stops on its own is not restarted behind the user's back: the status bar says
 * "server stopped" with the cause (serverExit.ts) and one notification offers Restart / Show Logs,
 * instead of the client's generic toasts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as vscode from 'vscode';
import {
  CloseAction,
  DidChangeConfigurationNotification,
  ErrorAction,
  ExecuteCommandRequest,
  LanguageClient,
  type LanguageClientOptions,
  type Middleware,
  ResponseError,
  RevealOutputChannelOn,
  ShowMessageNotification,
  type ServerOptions,
  State,
  type StaticFeature,
} from 'vscode-languageclient/node';
import { CONFIG_SECTION, SECRET_API_KEY, SERVER_ID, SERVER_NAME, STREAM_NOTIFICATION } from './constants';
import { traceError, traceInfo, traceVerbose } from './log';
import { nodeLaunchDeps, resolveServerCommand, type LaunchDeps, type LaunchPlan } from './python';
import { ensureBundledServer, findBundledWheel, InstallError } from './serverInstall';
import { describeExit, type ServerExit } from './serverExit';
import { serverStdio } from './serverLog';
import type { KeySource } from './serverMessages';
import { buildServerSettings, configurationFor, reviewOnSaveEnabled, type ServerSettings } from './settings';
import type { StatusModel } from './status';
import type { StreamRouter } from './stream';
import * as api from './vscodeapi';

/**
 * The extension renders `mistral/stream` and waits for each command's result, so it asks the
 * server for both in `initialize` (docs/protocol.md, "Two modes"); plain clients get neither.
 */
const MISTRAL_OPT_IN: StaticFeature = {
  fillClientCapabilities(capabilities) {
    capabilities.experimental = {
      ...(capabilities.experimental as object | undefined),
      mistral: { streamNotifications: true, commandsResolveOnCompletion: true },
    };
  },
  initialize() {},
  getState: () => ({ kind: 'static' }),
  clear() {},
};

/** Handles one of the server's commands invoked from VS Code (a code action); undefined: not ours. */
export type CommandRouter = (command: string, args: unknown[]) => Promise<unknown> | undefined;

export interface ServerContext {
  log: vscode.LogOutputChannel;
  secrets: vscode.SecretStorage;
  status: StatusModel;
  streams: StreamRouter;
  routeCommand: CommandRouter;
  /** Where the bundled server comes from (`<extension>/bundled`) and goes (the global storage). */
  install: { extensionPath: string; storagePath: string };
  /** Shows an actionable error: the server could not be started (or installed: `installFailed`). */
  onLaunchFailure(message: string, installFailed?: boolean): void;
  /** Shows the server's `window/showMessage` (LSP MessageType `type`); `keySource`: where its API key came from. */
  onServerMessage(type: number, message: string, keySource: KeySource): void;
  /** The server is up (after each start and restart). */
  onStarted(): void;
  /** The running server stopped on its own; `cause` says why. */
  onServerStopped(cause: string): void;
  /** Workspace edits and documents the extension shows its own way (a new test file, unsaved). */
  documents?: Pick<Required<Middleware>['workspace'], 'handleApplyEdit'> & Required<Middleware>['window'];
}

export const RESTART_DEBOUNCE_MS = 1000;

/** Reads the user-set `mistral.*` server settings for a scope. */
export function readServerSettings(scope?: vscode.Uri): ServerSettings {
  const config = api.getConfiguration(CONFIG_SECTION, scope);
  return buildServerSettings((key) => config.inspect(key));
}

/**
 * The client logs its own errors to the Mistral channel but never shows them: a start or a
 * connection that failed gets its generic toasts forced ("couldn't create connection to server",
 * "Pending response rejected…"), while the extension says the same in words, with the cause and
 * Restart Server / Show Logs (onLaunchFailure, onServerStopped).
 */
function quietClient(...args: ConstructorParameters<typeof LanguageClient>): LanguageClient {
  const client = new LanguageClient(...args);
  const logOnly = client.error.bind(client);
  client.error = (message: string, data?: unknown) => logOnly(message, data, false);
  return client;
}

export class NotRunningError extends Error {
  constructor() {
    super('The Mistral server is not running. Run "Mistral: Restart Server", or "Mistral: Show Logs" to see why it stopped.');
  }
}

export class MistralServer implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private queue: Promise<void> = Promise.resolve();
  private restartTimer: ReturnType<typeof setTimeout> | undefined;
  private disposed = false;
  private readonly clientDisposables: vscode.Disposable[] = [];
  private keySource: KeySource = 'none';
  /** Why the current client's server stopped on its own, once it did. */
  private stopCause: string | undefined;
  private process: ChildProcess | undefined;
  /** The next start installs the bundled server again ("Mistral: Reinstall Server"). */
  private forceInstall = false;

  constructor(private readonly ctx: ServerContext) {}

  get languageClient(): LanguageClient | undefined {
    return this.client?.isRunning() ? this.client : undefined;
  }

  /** Starts (or restarts) the server; calls are serialised. */
  restart(reason: string): Promise<void> {
    if (this.restartTimer) {
      clearTimeout(this.restartTimer);
      this.restartTimer = undefined;
    }
    this.queue = this.queue.then(() => this.doRestart(reason)).catch((error) => traceError('Restart failed:', error));
    return this.queue;
  }

  /** Installs the bundled server again, then starts it. */
  reinstall(): Promise<void> {
    this.forceInstall = true;
    return this.restart('Mistral: Reinstall Server');
  }

  /** Restarts after changes settle (several settings saved at once restart once). */
  scheduleRestart(reason: string, delayMs = RESTART_DEBOUNCE_MS): void {
    if (this.restartTimer) {
      clearTimeout(this.restartTimer);
    }
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      void this.restart(reason);
    }, delayMs);
  }

  private async doRestart(reason: string): Promise<void> {
    await this.stopClient();
    if (this.disposed) {
      return;
    }
    traceInfo(`Starting the server (${reason}).`);
    this.ctx.status.setServer('starting');
    const folder = api.getWorkspaceFolders()[0];
    const config = api.getConfiguration(CONFIG_SECTION, folder?.uri);
    // A new server starts from the settings: a session toggle of review on save is gone.
    this.ctx.status.setReviewOnSave(reviewOnSaveEnabled(config.get('reviewOnSave')));
    const launch = { serverPath: config.get<string>('serverPath', ''), interpreter: config.get<string[]>('interpreter', []) };
    // In a remote window VS Code ignores machine settings of the User settings: say so, since the
    // empty value is otherwise a mystery to someone who set it there.
    const remote = api.remoteName();
    const where = remote && !launch.serverPath ? ` (a remote window, "${remote}": mistral.serverPath is read from the Remote settings only)` : '';
    traceInfo(`mistral.serverPath: ${JSON.stringify(launch.serverPath)}${where}, mistral.interpreter: ${JSON.stringify(launch.interpreter)}`);
    const deps = nodeLaunchDeps(folder?.uri.fsPath, folder?.uri);
    const plan: LaunchPlan = await resolveServerCommand(launch, { ...deps, bundledServer: () => this.bundledServer(deps) });
    if (!plan.ok) {
      traceError(plan.message);
      this.ctx.status.setServer('failed', plan.installFailed ? 'server install failed' : 'mistral-lsp not found');
      this.ctx.onLaunchFailure(plan.message, plan.installFailed);
      return;
    }
    traceInfo(`Server command (${plan.source}): ${[plan.command, ...plan.args].join(' ')}`);
    const apiKey = await this.ctx.secrets.get(SECRET_API_KEY);
    const env: Record<string, string> = { ...(process.env as Record<string, string>), PYTHONUNBUFFERED: '1' };
    if (apiKey) {
      env.MISTRAL_API_KEY = apiKey;
    }
    this.keySource = apiKey ? 'secret' : env.MISTRAL_API_KEY ? 'environment' : 'none';
    traceInfo(`API key: ${apiKey ? 'from SecretStorage' : env.MISTRAL_API_KEY ? 'from the environment' : 'none'}`);

    // Spawned here, not by the client, to know how it ended (exit code, signal). Over stdio,
    // without `--stdio` (mistral-lsp takes no such flag).
    let started = false;
    this.stopCause = undefined;
    let exited: Promise<ServerExit> = Promise.resolve({ code: null, signal: null });
    let lastError: string | undefined;
    const serverOptions: ServerOptions = async () => {
      const child = spawn(plan.command, plan.args, { env, ...(folder ? { cwd: folder.uri.fsPath } : {}) });
      // 'close', not 'exit': its stderr is read to the end by then, so `lastError` holds its last line.
      exited = new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      });
      this.process = child;
      return child;
    };
    /** How the server process ended; undefined when it did not within 2 s. */
    const exitWithin = (): Promise<ServerExit | undefined> =>
      Promise.race([exited, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 2000))]);
    const clientOptions: LanguageClientOptions = {
      documentSelector: [{ scheme: 'file' }, { scheme: 'untitled' }],
      outputChannel: this.ctx.log,
      traceOutputChannel: this.ctx.log,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      stdioOptions: serverStdio((line) => {
        lastError = line;
      }),
      initializationOptions: readServerSettings(folder?.uri),
      middleware: this.middleware(),
      // A failed `initialize` (the server died on start): the client would toast the bare error
      // ("write EPIPE"); the catch around `client.start()` below says why, with the exit's cause.
      initializationFailedHandler: () => false,
      errorHandler: {
        // Read/write errors: the connection usually closes next, and `closed` says why.
        error: (_error, _message, count) => ({ action: (count ?? 0) <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown, handled: true }),
        closed: async () => {
          const cause = describeExit(await exitWithin(), lastError);
          traceError(`The server stopped: ${cause}.`);
          if (this.client === client) {
            this.stopCause = cause;
            this.ctx.status.setServer('stopped', cause);
            if (started) {
              this.ctx.onServerStopped(cause);
            }
          }
          return { action: CloseAction.DoNotRestart, handled: true };
        },
      },
    };
    const client = quietClient(SERVER_ID, SERVER_NAME, serverOptions, clientOptions);
    client.registerFeature(MISTRAL_OPT_IN);
    this.client = client;
    this.clientDisposables.push(
      client.onDidChangeState((event) => {
        if (this.client !== client) {
          return;
        }
        if (event.newState === State.Running) {
          this.ctx.status.setServer('running');
        } else if (event.newState === State.Stopped) {
          this.ctx.status.setServer('stopped', this.stopCause);
        } else {
          this.ctx.status.setServer('starting');
        }
      }),
      client.onNotification(STREAM_NOTIFICATION, (params: unknown) => {
        this.ctx.streams.handle(params);
      }),
      // Replaces the client's own handler: key errors get a Set API Key button (serverMessages.ts).
      client.onNotification(ShowMessageNotification.type, (params) => {
        this.ctx.onServerMessage(params.type, params.message, this.keySource);
      }),
    );
    try {
      await client.start();
      started = true;
      traceInfo('Server started.');
      this.ctx.onStarted();
    } catch (error) {
      traceError('The server failed to start:', error);
      // The client's error names the lost connection ("Pending response rejected…"); how the
      // process ended, and the last error line it wrote, say why.
      const exit = this.process ? await exitWithin() : undefined;
      const cause = this.stopCause ?? (exit ? describeExit(exit, lastError) : error instanceof Error ? error.message : String(error));
      this.ctx.status.setServer('failed', cause);
      this.ctx.onLaunchFailure(`The Mistral server (${[plan.command, ...plan.args].join(' ')}) failed to start: ${cause}`);
    }
  }

  private async bundledServer(deps: LaunchDeps): ReturnType<NonNullable<LaunchDeps['bundledServer']>> {
    const wheel = await findBundledWheel(this.ctx.install.extensionPath);
    if (!wheel) {
      traceInfo('No bundled server in this build of the extension.');
      return undefined;
    }
    const force = this.forceInstall;
    this.forceInstall = false;
    const config = api.getConfiguration(CONFIG_SECTION);
    const settings = { indexUrl: config.get<string>('installIndexUrl', ''), findLinks: config.get<string>('installFindLinks', '') };
    try {
      const python = await ensureBundledServer(this.ctx.install.storagePath, wheel, settings, {
        activeInterpreter: () => deps.activeInterpreter(),
        which: (name) => deps.which(name),
        log: (line) => traceInfo(line),
        withProgress: (title, task) => api.withNotificationProgress(title, task),
      }, force);
      return { ok: true, python, version: wheel.version };
    } catch (error) {
      if (error instanceof InstallError) {
        return { ok: false, message: error.message };
      }
      throw error;
    }
  }

  private middleware(): Middleware {
    return {
      ...(this.ctx.documents?.showDocument ? { window: { showDocument: this.ctx.documents.showDocument } } : {}),
      workspace: {
        ...(this.ctx.documents?.handleApplyEdit ? { handleApplyEdit: this.ctx.documents.handleApplyEdit } : {}),
        configuration: async (params, token, next) => {
          const fallback = await next(params, token);
          if (fallback instanceof ResponseError) {
            return fallback;
          }
          return params.items.map((item, index) => {
            const scope = item.scopeUri ? vscode.Uri.parse(item.scopeUri) : undefined;
            const ours = configurationFor(item.section, readServerSettings(scope));
            return ours === undefined ? (fallback as unknown[])[index] : ours;
          });
        },
      },
      executeCommand: async (command, args, next) => {
        const handled = this.ctx.routeCommand(command, args);
        return handled !== undefined ? handled : next(command, args);
      },
      handleWorkDoneProgress: (token, params, next) => {
        this.ctx.status.onProgress(token, params);
        // Our status bar item shows the run (with Cancel in its menu); the client's own window
        // progress would repeat it next to it. Only `end` goes through, so the client forgets the token.
        if (params.kind === 'end') {
          next(token, params);
        }
      },
    };
  }

  /** Tells the server that live settings changed; it then asks `workspace/configuration` again. */
  async sendConfiguration(): Promise<void> {
    const client = this.languageClient;
    if (!client) {
      return;
    }
    await client.sendNotification(DidChangeConfigurationNotification.type, {
      settings: { [CONFIG_SECTION]: readServerSettings(api.getWorkspaceFolders()[0]?.uri) },
    });
  }

  /** Runs one of the server's commands with one argument object. */
  async executeCommand<T>(command: string, argument?: object, token?: vscode.CancellationToken): Promise<T> {
    const client = this.languageClient;
    if (!client) {
      throw new NotRunningError();
    }
    return (await client.sendRequest(
      ExecuteCommandRequest.type,
      { command, arguments: argument === undefined ? [] : [argument] },
      token,
    )) as T;
  }

  private async stopClient(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    for (const disposable of this.clientDisposables.splice(0)) {
      disposable.dispose();
    }
    const child = this.process;
    this.process = undefined;
    if (client) {
      try {
        await client.dispose(3000);
      } catch (error) {
        traceVerbose('Stopping the client:', error);
      }
    }
    // The client did not spawn it, so it does not kill it: a server that ignored `exit` goes now.
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill();
    }
    this.ctx.status.setServer('stopped');
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    if (this.restartTimer) {
      clearTimeout(this.restartTimer);
    }
    await this.stopClient();
  }
}
