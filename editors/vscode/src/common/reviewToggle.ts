/**
 * The review-on-save toggle of this workspace, kept in workspace state. A restarted server
 * (Set API Key, Restart Server, a launch setting) starts from the settings; the extension then
 * toggles it back (the server answers with the open documents' cached findings). The toggle
 * ends when `mistral.reviewOnSave` (or its language list) itself changes, as on the server.
 */

/** The part of `vscode.Memento` used here. */
export interface StateStore {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): Thenable<void>;
}

export const TOGGLE_STATE_KEY = 'mistral.reviewOnSaveToggle';

export class ReviewOnSaveToggle {
  constructor(private readonly state: StateStore) {}

  /** The value the user toggled to, if it differs from the settings. */
  get toggled(): boolean | undefined {
    return this.state.get<boolean>(TOGGLE_STATE_KEY);
  }

  /** After a toggle: remember it, unless it only brought the state back to the settings. */
  async remember(on: boolean, configured: boolean): Promise<void> {
    await this.state.update(TOGGLE_STATE_KEY, on === configured ? undefined : on);
  }

  /** The setting changed: it wins over the toggle. */
  async forget(): Promise<void> {
    await this.state.update(TOGGLE_STATE_KEY, undefined);
  }

  /** Whether a server fresh from the settings (`configured`) must be toggled to match the workspace. */
  needsToggle(configured: boolean): boolean {
    const toggled = this.toggled;
    return toggled !== undefined && toggled !== configured;
  }
}
