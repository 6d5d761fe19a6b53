/**
 * The `mistral.*` settings: which ones the server reads (docs/protocol.md, "Settings"), which
 * ones only the extension reads (and need a server restart), and the mapping from VS Code's
 * configuration to the object answered for `workspace/configuration` section `mistral`.
 *
 * Only values the user set are sent: the server owns the defaults (notably `baseUrl`, whose
 * default comes from the server's environment). The API key is never a setting: it lives in
 * SecretStorage and reaches the server as `MISTRAL_API_KEY` in its environment.
 */

export const ACTIONS = ['review', 'explain', 'fix', 'tests'] as const;
export const ACTION_FIELDS = ['reasoningEffort', 'temperature', 'maxTokens'] as const;
/** Inline completion's settings (`completion.enabled`…), sent like the others. */
export const COMPLETION_FIELDS = ['enabled', 'model', 'maxTokens', 'debounceMs', 'languages'] as const;

/** Top-level server keys (besides `actions.*`). */
export const SERVER_KEYS = [
  'baseUrl',
  'backend',
  'model',
  'contextTokens',
  'timeoutSeconds',
  'maxRetries',
  'maxConcurrentRequests',
  'reviewOnSave',
  'reviewDebounceMs',
  'reviewMaxFileLines',
  'reviewExclude',
] as const;

/** Every leaf key of the server's section, `actions.review.reasoningEffort` style. */
export const SERVER_LEAF_KEYS: readonly string[] = [
  ...SERVER_KEYS,
  ...ACTIONS.flatMap((action) => ACTION_FIELDS.map((field) => `actions.${action}.${field}`)),
  ...COMPLETION_FIELDS.map((field) => `completion.${field}`),
];

/** Settings only the extension reads; changing them restarts the server. */
export const RESTART_KEYS = ['serverPath', 'interpreter'] as const;

/** Keys whose empty string means "not set" (the contributed default is ""). */
const EMPTY_MEANS_UNSET = new Set(['baseUrl', 'model']);

/** What `WorkspaceConfiguration.inspect` returns, reduced to what matters here. */
export interface Inspected<T = unknown> {
  defaultValue?: T;
  globalValue?: T;
  workspaceValue?: T;
  workspaceFolderValue?: T;
}

export type InspectFn = (key: string) => Inspected | undefined;

/** The value the user set for a key, most specific scope first; undefined when only the default applies. */
export function userValue(inspected: Inspected | undefined): unknown {
  if (!inspected) {
    return undefined;
  }
  // Not `??`: an explicit `null` (e.g. temperature: the model's default) overrides a wider scope.
  for (const value of [inspected.workspaceFolderValue, inspected.workspaceValue, inspected.globalValue]) {
    if (value !== undefined) {
      return value;
    }
  }
  return undefined;
}

export type ServerSettings = Record<string, unknown>;

/** The object sent as `initializationOptions` and for `workspace/configuration` section `mistral`. */
export function buildServerSettings(inspect: InspectFn): ServerSettings {
  const result: ServerSettings = {};
  for (const key of SERVER_LEAF_KEYS) {
    let value = userValue(inspect(key));
    if (value === undefined || (EMPTY_MEANS_UNSET.has(key) && value === '')) {
      continue;
    }
    if (typeof value === 'string') {
      value = value.trim();
    }
    setPath(result, key.split('.'), value);
  }
  return result;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const part of path.slice(0, -1)) {
    const next = node[part];
    if (typeof next !== 'object' || next === null) {
      node[part] = {};
    }
    node = node[part] as Record<string, unknown>;
  }
  const last = path[path.length - 1];
  if (last !== undefined) {
    node[last] = value;
  }
}

/** The value at a dotted path of the settings (for `workspace/configuration` of `mistral.model` etc.). */
export function getPath(settings: ServerSettings, dotted: string): unknown {
  let node: unknown = settings;
  for (const part of dotted.split('.').filter(Boolean)) {
    if (typeof node !== 'object' || node === null) {
      return null;
    }
    node = (node as Record<string, unknown>)[part];
  }
  return node === undefined ? null : node;
}

/** Answers one `workspace/configuration` item, or undefined when the section is not ours. */
export function configurationFor(section: string | undefined, settings: ServerSettings): unknown {
  if (section === 'mistral') {
    return settings;
  }
  if (section?.startsWith('mistral.')) {
    return getPath(settings, section.slice('mistral.'.length));
  }
  return undefined;
}

export type ChangeKind = 'none' | 'restart' | 'live';

/** What a configuration change means, given `affects(section)` from the change event. */
export function classifyChange(affects: (section: string) => boolean): ChangeKind {
  if (RESTART_KEYS.some((key) => affects(`mistral.${key}`))) {
    return 'restart';
  }
  if (affects('mistral')) {
    return 'live';
  }
  return 'none';
}

/** Whether review on save is on for a language, from the setting's two shapes. */
export function reviewOnSaveEnabled(value: unknown): boolean {
  return value === true || (Array.isArray(value) && value.length > 0);
}
