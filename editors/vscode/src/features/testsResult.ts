/** What Generate Tests says when it wrote tests: which file, created or appended to, unsaved. */
import type { CommandResult } from './results';

export const OPEN = 'Open';

/** The message for a run that wrote tests, or undefined when it wrote none. */
export function testsWrittenMessage(
  result: Pick<CommandResult, 'applied' | 'cancelled' | 'testUri' | 'testFileCreated'>,
  relativePath: string,
): string | undefined {
  if (!result.testUri || !result.applied || result.cancelled) {
    return undefined;
  }
  const what =
    result.testFileCreated === true
      ? `created ${relativePath} with the new tests`
      : result.testFileCreated === false
        ? `appended the new tests to ${relativePath}`
        : `wrote the new tests to ${relativePath}`;
  return `Mistral: ${what} (not saved yet).`;
}
