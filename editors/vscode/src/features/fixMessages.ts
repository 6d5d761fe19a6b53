/** What the fix preview says: the diff's title, the decision prompt, and how a preview ended (fixPreview.ts). */

/** How a preview ended. */
export type Outcome = 'accepted' | 'rejected' | 'replaced' | 'closed' | 'stale' | 'stopped';

export const ACCEPT = 'Accept';
export const REJECT = 'Reject';

const TITLE_EXPLANATION_MAX = 80;

/** The diff editor's title: the file, and what the fix does when the model said so. */
export function diffTitle(name: string, explanation: string | undefined): string {
  if (!explanation) {
    return `${name}: Mistral fix (read-only preview)`;
  }
  const short = explanation.length > TITLE_EXPLANATION_MAX ? `${explanation.slice(0, TITLE_EXPLANATION_MAX - 1).trimEnd()}…` : explanation;
  return `${name}: Mistral fix (read-only) — ${short}`;
}

/** What a notification button pressed after the preview ended says. */
export function endedMessage(name: string, outcome: Outcome): string {
  switch (outcome) {
    case 'accepted':
      return `Mistral: that fix for ${name} was already accepted.`;
    case 'rejected':
      return `Mistral: that fix for ${name} was already rejected; nothing was applied.`;
    case 'replaced':
      return `Mistral: that fix for ${name} was replaced by a newer one, so it was not applied. Decide on the newer fix.`;
    case 'closed':
      return `Mistral: that fix for ${name} was closed with its preview, so it was not applied. Run Fix again to get it back.`;
    case 'stale':
      return `Mistral: that fix for ${name} was not applied: the lines it changes were edited. Run Fix again.`;
    case 'stopped':
      return `Mistral: that fix for ${name} ended when the extension stopped; nothing was applied.`;
  }
}

/** Said when a preview ends without a decision (a newer fix, its diff closed). */
export function endedWithoutDecision(name: string, outcome: 'replaced' | 'closed'): string {
  return outcome === 'replaced'
    ? `Mistral: the previous fix for ${name} was replaced by a newer one and not applied.`
    : `Mistral: the fix preview for ${name} was closed, so the fix was not applied.`;
}

/** Said when Accept refuses because the source was edited on the fix's lines. */
export function staleMessage(name: string, line: number): string {
  return `Mistral: ${name} was edited on line ${line + 1}, which the fix changes, while the fix was previewed; the fix was not applied. Run Fix again.`;
}

/** The Accept / Reject notification's text. */
export function decisionPrompt(name: string, explanation: string | undefined, otherFiles: number, hunks = 0): string {
  const what = explanation ? ` ${explanation.replace(/[.:]?$/, '.')}` : '';
  const others = otherFiles ? ` It also changes ${otherFiles} other file(s).` : '';
  const each = hunks > 1 ? ` ${hunks} changes: Accept or Reject each with the CodeLens above it, or all here.` : '';
  return `Mistral: apply this fix to ${name}?${what}${others}${each}`;
}

/** Said when a hunk command finds no pending hunk (already decided, or none at the cursor). */
export function noHunkMessage(hunkId: string | undefined): string {
  return hunkId
    ? 'Mistral: that change of the fix was already decided.'
    : 'Mistral: no pending change of a fix at the cursor. Put the cursor on a highlighted change.';
}
