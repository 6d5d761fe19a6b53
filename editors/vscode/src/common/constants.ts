/** Names shared by the extension's modules: one place for ids that package.json also spells. */

export const SERVER_ID = 'mistral';
export const SERVER_NAME = 'Mistral';
export const CONFIG_SECTION = 'mistral';
export const SECRET_API_KEY = 'mistral.apiKey';

/** The server's commands and its stream notification, generated from docs/protocol.schema.json. */
export { ServerCommands, STREAM_NOTIFICATION } from '../generated/protocol';

/**
 * The extension's own commands. vscode-languageclient registers every command of the server's
 * `executeCommandProvider` under its own id (`mistral.fix`, ...), so ours live under another
 * prefix; the server's ids are routed through the client middleware instead.
 */
export const Commands = {
  review: 'mistral-vscode.review',
  explain: 'mistral-vscode.explain',
  ask: 'mistral-vscode.ask',
  fix: 'mistral-vscode.fix',
  generateTests: 'mistral-vscode.generateTests',
  customAction: 'mistral-vscode.customAction',
  cancel: 'mistral-vscode.cancel',
  toggleReviewOnSave: 'mistral-vscode.toggleReviewOnSave',
  restart: 'mistral-vscode.restart',
  reinstallServer: 'mistral-vscode.reinstallServer',
  showLogs: 'mistral-vscode.showLogs',
  setApiKey: 'mistral-vscode.setApiKey',
  acceptFix: 'mistral-vscode.acceptFix',
  rejectFix: 'mistral-vscode.rejectFix',
  decideFix: 'mistral-vscode.decideFix',
  acceptHunk: 'mistral-vscode.acceptHunk',
  rejectHunk: 'mistral-vscode.rejectHunk',
  revealHunk: 'mistral-vscode.revealHunk',
  showMenu: 'mistral-vscode.showMenu',
} as const;

/** Context keys used in package.json `when` clauses. */
export const ContextKeys = {
  fixPending: 'mistral.fixPending',
  /** Hunks of a fix wait inline (the keybindings, the Review all view). */
  hunksPending: 'mistral.hunksPending',
  busy: 'mistral.busy',
} as const;

export const FIX_PREVIEW_SCHEME = 'mistral-fix';

/** The Explorer view listing a fix's pending hunks ("Review all"); package.json declares it. */
export const HUNKS_VIEW = 'mistral.fixHunks';
