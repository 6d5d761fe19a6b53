/**
 * The server's `window/showMessage`, as VS Code shows it. Most messages pass through; one about
 * the API key (none, or rejected) carries a **Set API Key** button, and a rejected key is named:
 * the one stored with Set API Key, or `MISTRAL_API_KEY` from VS Code's environment. Both a rejected
 * key and a paused review on save (the server pauses it after a key or model error until the
 * settings change: mistral_lsp/actions/review_on_save.py) also show in the status bar.
 */

export type KeySource = 'secret' | 'environment' | 'none';
export type Severity = 'error' | 'warning' | 'info';

export const SET_API_KEY = 'Set API Key';

export interface Presented {
  severity: Severity;
  text: string;
  buttons: string[];
  /** The API refused the key in use (the status bar says so until a key is set). */
  keyRejected?: boolean;
  /** Review on save is paused until the settings change, for this reason. */
  reviewPaused?: string;
}

const PAUSED = /^Mistral review on save failed:\s*(.*?)\s*\(review on save pauses until the settings change\)$/;

/** Why review on save paused, from the server's message; undefined when it did not. */
export function reviewPauseReason(message: string): string | undefined {
  return PAUSED.exec(message.trim())?.[1] || undefined;
}

const KEY_PROBLEM = /\bapi[ _-]?key\b|\brejected the key\b/i;
const REJECTED = /\brejected\b|\b40[13]\b|\bunauthori[sz]ed\b|\bforbidden\b/i;

/** LSP MessageType: 1 error, 2 warning, 3 info, 4 log. */
export function presentServerMessage(type: number, message: string, keySource: KeySource): Presented {
  const severity: Severity = type === 1 ? 'error' : type === 2 ? 'warning' : 'info';
  const reviewPaused = reviewPauseReason(message);
  const paused = reviewPaused ? { reviewPaused } : {};
  if (severity === 'info' || !KEY_PROBLEM.test(message)) {
    return { severity, text: message, buttons: [], ...paused };
  }
  let text = message;
  const keyRejected = REJECTED.test(message);
  if (keyRejected) {
    const sentence = /[.!?]$/.test(message.trim()) ? message.trim() : `${message.trim()}.`;
    if (keySource === 'secret') {
      text = `${sentence} The key in use is the one stored with "Mistral: Set API Key".`;
    } else if (keySource === 'environment') {
      text = `${sentence} The key in use is MISTRAL_API_KEY from VS Code's environment; a key set with "Mistral: Set API Key" replaces it.`;
    }
  }
  return { severity, text, buttons: [SET_API_KEY], ...(keyRejected ? { keyRejected } : {}), ...paused };
}
