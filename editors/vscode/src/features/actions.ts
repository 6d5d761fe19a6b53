/**
 * The actions and their companions, as the palette, the editor context menu and the server's
 * code actions invoke them: review, explain and ask (streamed into the explain view, which
 * becomes a conversation: its follow-up field asks `mistral.ask` with the last result's
 * `conversationId`), fix (through the diff preview), generate tests, the project's custom
 * actions (a quick pick), cancel and toggle review on save.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { LSPErrorCodes, ResponseError } from 'vscode-languageclient/node';
import { ServerCommands } from '../common/constants';
import { traceError, traceInfo, traceWarn } from '../common/log';
import type { ReviewOnSaveToggle } from '../common/reviewToggle';
import { NotRunningError, type MistralServer } from '../common/server';
import { isConnectionLost } from '../common/serverExit';
import type { StatusModel } from '../common/status';
import * as api from '../common/vscodeapi';
import type { ExplainView } from './explainView';
import type { FixPreview } from './fixPreview';
import { ACTIONS, type ActionName, type ListActionsResult } from '../generated/protocol';
import { isTargetArgs, newRunId, type CommandResult, type TargetArgs } from './results';
import { OPEN, testsWrittenMessage } from './testsResult';

export type { ActionName };

/** Each action's short label (`Generate tests`), from the generated action table. */
const LABELS = {
  custom: 'Project action',
  ...Object.fromEntries(ACTIONS.map((spec) => [spec.name, spec.label])),
} as Record<ActionName, string>;

/** The conversation the explain view shows: what its follow-ups are about. */
interface Conversation {
  args: TargetArgs;
  action: 'explain' | 'ask';
}

interface Target {
  document: vscode.TextDocument;
  args: TargetArgs;
  /** The text the arguments describe, for the fix preview. */
  text: string;
}

export class Actions {
  constructor(
    private readonly server: MistralServer,
    private readonly status: StatusModel,
    private readonly fixes: FixPreview,
    private readonly explainView: ExplainView,
    private readonly previewFixes: () => boolean,
    private readonly reviewToggle: ReviewOnSaveToggle,
    /** Whether the settings turn review on save on (what a fresh server starts from). */
    private readonly configuredReviewOnSave: () => boolean,
    /** Where a new test file's text is until it is saved. */
    private readonly newFiles: { resolve(uri: vscode.Uri): vscode.Uri } = { resolve: (uri) => uri },
  ) {}

  private conversation: Conversation | undefined;

  /** Routes the server's own command ids (from its code actions) through the extension's flows. */
  route(command: string, args: unknown[]): Promise<unknown> | undefined {
    const arg = args[0];
    if (!isTargetArgs(arg)) {
      return undefined;
    }
    switch (command) {
      case ServerCommands.fix:
        return this.fix(arg);
      case ServerCommands.explain:
        return this.explain(arg);
      case ServerCommands.review:
        return this.review(arg);
      case ServerCommands.generateTests:
        return this.generateTests(arg);
      case ServerCommands.ask:
        return this.ask(arg);
      case ServerCommands.custom:
        return this.custom(arg);
      default:
        return undefined;
    }
  }

  async review(from?: TargetArgs): Promise<CommandResult | undefined> {
    const target = await this.target('review', from);
    if (!target) {
      return undefined;
    }
    const result = await this.execute('review', ServerCommands.review, target.args);
    if (result && !result.cancelled) {
      const count = result.diagnostics ?? 0;
      const name = path.posix.basename(target.document.uri.path);
      if (count > 0) {
        void api
          .showInformationMessage(`Mistral: ${count} finding${count === 1 ? '' : 's'} in ${name}.`, 'Show Problems')
          .then((choice) => choice && api.executeCommand('workbench.actions.view.problems'));
      } else {
        void api.showInformationMessage(result.message ?? `Mistral: no findings in ${name}.`);
      }
    }
    return result;
  }

  async explain(from?: TargetArgs): Promise<CommandResult | undefined> {
    const target = await this.target('explain', from);
    if (!target) {
      return undefined;
    }
    const id = from?.id ?? newRunId('explain');
    this.conversation = { args: target.args, action: 'explain' };
    this.explainView.start(id, describeTarget(target));
    return this.converse('explain', ServerCommands.explain, { ...target.args, id, showResult: false });
  }

  /**
   * Mistral: Ask: a question about the selection or the code at the cursor (an input box, unless
   * the arguments carry one), answered in the explain view, which can then take follow-ups.
   */
  async ask(from?: TargetArgs): Promise<CommandResult | undefined> {
    const target = await this.target('ask', from);
    if (!target) {
      return undefined;
    }
    const where = describeTarget(target);
    const question = from?.question?.trim() || (await this.askQuestion(where));
    if (!question) {
      return undefined;
    }
    const id = from?.id ?? newRunId('ask');
    this.conversation = { args: target.args, action: 'ask' };
    this.explainView.start(id, where, question, 'Ask');
    return this.converse('ask', ServerCommands.ask, { ...target.args, id, question, showResult: false });
  }

  /** A follow-up typed into the explain view: `mistral.ask` continuing its conversation. */
  async followUp(question: string, conversationId: string): Promise<CommandResult | undefined> {
    const conversation = this.conversation;
    if (!conversation) {
      return undefined;
    }
    const id = newRunId('ask');
    // The document may have changed since: the follow-up is about its current text.
    const version = api.findTextDocument(conversation.args.uri)?.version ?? conversation.args.version;
    this.explainView.continue(id, question);
    return this.converse('ask', ServerCommands.ask, { ...conversation.args, version, id, question, conversationId, showResult: false });
  }

  private async askQuestion(where: string): Promise<string | undefined> {
    const value = await api.showInputBox({
      title: `Mistral: Ask about ${where}`,
      prompt: 'A question about the selection, or the code at the cursor. The answer opens beside the editor, where you can ask follow-ups.',
      placeHolder: 'What does this do? Who calls it? Why…',
      ignoreFocusOut: true,
    });
    return value?.trim() || undefined;
  }

  /** Runs an explain or ask whose answer streams into the explain view. */
  private async converse(action: 'explain' | 'ask', command: string, args: TargetArgs): Promise<CommandResult | undefined> {
    const id = args.id ?? newRunId(action);
    try {
      const result = await this.execute(action, command, args, false);
      this.explainView.complete(id, result, result?.cancelled ?? false);
      return result;
    } catch (error) {
      this.explainView.fail(id, errorMessage(error));
      this.report(error);
      return undefined;
    }
  }

  /**
   * Mistral: Run Project Action: a quick pick of the project's custom actions (`.mistral/actions`)
   * that apply to the document (`mistral.listActions`), unless the arguments name one (its code
   * action). It runs as the server's action of its kind: an edit is applied, markdown opens
   * beside the editor, findings become diagnostics.
   */
  async custom(from?: TargetArgs): Promise<CommandResult | undefined> {
    const target = await this.target('custom', from);
    if (!target) {
      return undefined;
    }
    let actionId = from?.actionId ?? undefined;
    if (!actionId) {
      const listed = await this.server.executeCommand<ListActionsResult>(ServerCommands.listActions, { uri: target.args.uri });
      const items = (listed?.actions ?? []).map((action) => ({ label: `Mistral: ${action.title}`, description: action.kind, id: action.id }));
      if (items.length === 0) {
        void api.showInformationMessage('Mistral: no project action applies to this file (see .mistral/actions).');
        return undefined;
      }
      const choice = await api.showQuickPick(items, { title: 'Mistral: project actions', placeHolder: 'Run a project action' });
      if (!choice) {
        return undefined;
      }
      actionId = choice.id;
    }
    const result = await this.execute('custom', ServerCommands.custom, { ...target.args, actionId, showResult: true, preview: false });
    if (result && !result.cancelled && !result.applied && result.message) {
      void api.showInformationMessage(`Mistral: ${result.message}`);
    }
    return result;
  }

  async fix(from?: TargetArgs): Promise<CommandResult | undefined> {
    const target = await this.target('fix', from);
    if (!target) {
      return undefined;
    }
    const id = from?.id ?? newRunId('fix');
    if (!this.previewFixes()) {
      const result = await this.execute('fix', ServerCommands.fix, { ...target.args, id, preview: false });
      // With an edit that did not land the server already said why; without one, nothing was said.
      if (result && !result.applied && !result.cancelled && !result.edit) {
        void api.showInformationMessage(`Mistral: ${result.message ?? 'the model proposed no fix.'}`);
      }
      return result;
    }
    const result = await this.execute('fix', ServerCommands.fix, { ...target.args, id, preview: true });
    if (!result || result.cancelled) {
      return result;
    }
    if (!result.edit) {
      void api.showInformationMessage(`Mistral: ${result.message ?? 'the model proposed no fix.'}`);
      return result;
    }
    const runId = result.id ?? id;
    await this.fixes.show(target.document, { text: target.text, version: target.args.version ?? target.document.version }, result, runId, target.args.uri);
    return result;
  }

  async generateTests(from?: TargetArgs): Promise<CommandResult | undefined> {
    const target = await this.target('tests', from);
    if (!target) {
      return undefined;
    }
    const result = await this.execute('tests', ServerCommands.generateTests, { ...target.args, showResult: true });
    if (result?.testUri) {
      // The server asks `window/showDocument`; make sure the file is in front even if it did not.
      // A new test file is an unsaved document until it is saved (newFiles.ts).
      const file = vscode.Uri.parse(result.testUri);
      const shown = this.newFiles.resolve(file);
      if (!api.isVisible(shown)) {
        await this.openTests(shown);
      }
      const message = testsWrittenMessage(result, api.asRelativePath(file));
      if (message) {
        void api.showInformationMessage(message, OPEN).then(async (choice) => {
          if (choice === OPEN) {
            await this.openTests(this.newFiles.resolve(file));
          }
        });
      }
    } else if (result && !result.cancelled && result.message) {
      // The server shows why no tests were written (window/showMessage).
      traceInfo(`No test file: ${result.message}`);
    }
    return result;
  }

  private async openTests(uri: vscode.Uri): Promise<void> {
    try {
      await api.showTextDocument(await api.openTextDocument(uri), { preview: false });
    } catch (error) {
      traceError(`Could not open ${uri.toString()}:`, error);
    }
  }

  async cancel(): Promise<void> {
    try {
      await this.server.executeCommand(ServerCommands.cancel, {});
    } catch (error) {
      this.report(error);
    }
  }

  cancelRun(id: string): void {
    this.server.executeCommand(ServerCommands.cancel, { id }).catch((error) => traceError('cancel failed:', error));
  }

  async toggleReviewOnSave(): Promise<void> {
    try {
      const result = await this.server.executeCommand<{ reviewOnSave?: unknown }>(ServerCommands.toggleReviewOnSave);
      const on = Boolean(result?.reviewOnSave);
      // The server says so itself (window/showMessage); the status bar shows it from now on,
      // and the workspace state keeps it across server restarts.
      this.status.setReviewOnSave(on);
      await this.reviewToggle.remember(on, this.configuredReviewOnSave());
    } catch (error) {
      this.report(error);
    }
  }

  /**
   * A fresh server starts from the settings: toggle it back to this workspace's choice. Nothing
   * changed for the user, so the server's "review on save is on" is not shown
   * (`restoringReviewOnSave`): at every window load it would otherwise pop up.
   */
  async restoreReviewOnSave(): Promise<void> {
    if (this.reviewToggle.needsToggle(this.configuredReviewOnSave())) {
      traceInfo(`Restoring review on save (${this.reviewToggle.toggled ? 'on' : 'off'}) toggled in this workspace.`);
      this.restoring = true;
      try {
        await this.toggleReviewOnSave();
      } finally {
        this.restoring = false;
      }
    }
  }

  private restoring = false;

  /** Whether a toggle of review on save under way restores the workspace's choice (silently). */
  get restoringReviewOnSave(): boolean {
    return this.restoring;
  }

  /** The target of an action: the given arguments (a code action), else the active editor's selection. */
  private async target(action: ActionName, from?: TargetArgs): Promise<Target | undefined> {
    const client = this.server.languageClient;
    if (!client) {
      this.report(new NotRunningError());
      return undefined;
    }
    if (from) {
      const uri = client.protocol2CodeConverter.asUri(from.uri);
      const document =
        api.findTextDocument(uri.toString()) ?? (await api.openTextDocument(uri).then(undefined, () => undefined));
      if (!document) {
        void api.showErrorMessage(`Mistral: ${from.uri} is not open.`);
        return undefined;
      }
      return { document, args: { ...from }, text: document.getText() };
    }
    const editor = api.getActiveTextEditor();
    if (!editor || (editor.document.uri.scheme !== 'file' && editor.document.uri.scheme !== 'untitled')) {
      void api.showInformationMessage(`Mistral: open a file to ${LABELS[action].toLowerCase()}.`);
      return undefined;
    }
    const document = editor.document;
    const selection = editor.selection;
    // Review without a selection reviews the whole file (`range: null`).
    const wholeFile = action === 'review' && selection.isEmpty;
    const range = wholeFile ? null : client.code2ProtocolConverter.asRange(selection);
    // docs/protocol.md, "Commands": the diagnostics whose range intersects the target range
    // (touching counts), or all of the document's when the range is null.
    const diagnostics = api
      .getDiagnostics(document.uri)
      .filter((diagnostic) => wholeFile || diagnostic.range.intersection(selection) !== undefined);
    const args: TargetArgs = {
      uri: client.code2ProtocolConverter.asUri(document.uri),
      range,
      version: document.version,
      // vscode-languageclient types `message` as string | MarkupContent (LSP 3.18); ours are strings.
      diagnostics: (await client.code2ProtocolConverter.asDiagnostics(diagnostics)) as TargetArgs['diagnostics'],
    };
    return { document, args, text: document.getText() };
  }

  /** Sends the command, keeps the status bar busy meanwhile; server errors were shown by the server. */
  private async execute(
    action: ActionName,
    command: string,
    args: TargetArgs,
    reportErrors = true,
  ): Promise<CommandResult | undefined> {
    const key = args.id ?? newRunId(action);
    this.status.requestStarted(key, `Mistral: ${LABELS[action]}`);
    try {
      traceInfo(`${command} ${args.uri}${args.id ? ` (${args.id})` : ''}`);
      return await this.server.executeCommand<CommandResult>(command, args);
    } catch (error) {
      if (!reportErrors) {
        throw error;
      }
      this.report(error);
      return undefined;
    } finally {
      this.status.requestEnded(key);
    }
  }

  /**
   * Errors the server answered were already shown by it (`window/showMessage`): log those only,
   * as one warning line (an expected failure: no key, a refused fix…). A server that is not
   * running is expected too; anything else is a fault of ours and keeps its stack at [error].
   */
  report(error: unknown): void {
    if (error instanceof ResponseError) {
      if (error.code !== LSPErrorCodes.RequestCancelled) {
        traceWarn(`Server error ${error.code}: ${error.message}`);
      }
      return;
    }
    if (error instanceof NotRunningError) {
      traceWarn(error.message);
    } else {
      traceError(error);
    }
    const buttons = error instanceof NotRunningError ? (['Restart Server', 'Show Logs'] as const) : (['Show Logs'] as const);
    void api.showErrorMessage(`Mistral: ${errorMessage(error)}`, ...buttons).then((choice) => {
      if (choice === 'Restart Server') {
        void api.executeCommand('mistral-vscode.restart');
      } else if (choice === 'Show Logs') {
        void api.executeCommand('mistral-vscode.showLogs');
      }
    });
  }
}

export function errorMessage(error: unknown): string {
  if (error instanceof ResponseError && isConnectionLost(error.code)) {
    return 'the Mistral server stopped before it answered (see the status bar).';
  }
  return error instanceof Error ? error.message : String(error);
}

function describeTarget(target: Target): string {
  const name = path.posix.basename(target.document.uri.path) || 'untitled';
  const range = target.args.range;
  if (!range) {
    return name;
  }
  const start = range.start.line + 1;
  const end = range.end.line + 1;
  return start === end ? `${name}:${start}` : `${name}:${start}-${end}`;
}
