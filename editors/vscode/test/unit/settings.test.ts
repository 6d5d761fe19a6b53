import { describe, expect, it } from 'vitest';
import {
  buildServerSettings,
  classifyChange,
  configurationFor,
  reviewOnSaveEnabled,
  SERVER_LEAF_KEYS,
  type Inspected,
} from '../../src/common/settings';
import packageJson from '../../package.json';

const inspectFrom =
  (values: Record<string, Inspected>) =>
  (key: string): Inspected | undefined =>
    values[key] ?? { defaultValue: 'whatever' };

describe('buildServerSettings', () => {
  it('sends only what the user set, so the server keeps its defaults and environment', () => {
    expect(buildServerSettings(inspectFrom({}))).toEqual({});
  });

  it('takes the most specific scope and nests actions.*', () => {
    const settings = buildServerSettings(
      inspectFrom({
        model: { defaultValue: 'mistral-medium-3.5', globalValue: 'codestral-latest', workspaceValue: 'devstral-latest' },
        reviewOnSave: { defaultValue: false, workspaceFolderValue: ['python'] },
        'actions.fix.temperature': { defaultValue: null, globalValue: 0.2 },
        'actions.explain.reasoningEffort': { defaultValue: 'none', globalValue: 'high' },
        timeoutSeconds: { defaultValue: 120, globalValue: 30 },
      }),
    );
    expect(settings).toEqual({
      model: 'devstral-latest',
      reviewOnSave: ['python'],
      timeoutSeconds: 30,
      actions: { fix: { temperature: 0.2 }, explain: { reasoningEffort: 'high' } },
    });
  });

  it('treats an empty baseUrl as unset (the server then reads MISTRAL_BASE_URL)', () => {
    expect(buildServerSettings(inspectFrom({ baseUrl: { defaultValue: '', globalValue: '' } }))).toEqual({});
    expect(buildServerSettings(inspectFrom({ baseUrl: { globalValue: ' http://127.0.0.1:8000/v1 ' } }))).toEqual({
      baseUrl: 'http://127.0.0.1:8000/v1',
    });
  });

  it('passes an explicit null through, even over a wider scope (null = the model default)', () => {
    expect(
      buildServerSettings(inspectFrom({ 'actions.tests.temperature': { globalValue: 0.3, workspaceValue: null } })),
    ).toEqual({ actions: { tests: { temperature: null } } });
  });

  it('folds the checkbox and the language list into the one reviewOnSave value of the server', () => {
    const languages = { defaultValue: [], globalValue: ['python', ' go '] };
    expect(buildServerSettings(inspectFrom({ reviewOnSave: { globalValue: true }, reviewOnSaveLanguages: languages }))).toEqual({
      reviewOnSave: ['python', 'go'],
    });
    // The checkbox is the switch: a list alone turns nothing on.
    expect(buildServerSettings(inspectFrom({ reviewOnSave: { globalValue: false }, reviewOnSaveLanguages: languages }))).toEqual({
      reviewOnSave: false,
    });
    expect(buildServerSettings(inspectFrom({ reviewOnSaveLanguages: languages }))).toEqual({});
    expect(buildServerSettings(inspectFrom({ reviewOnSave: { globalValue: true } }))).toEqual({ reviewOnSave: true });
  });

  it('never reads an apiKey setting', () => {
    expect(SERVER_LEAF_KEYS).not.toContain('apiKey');
    expect(buildServerSettings(inspectFrom({ apiKey: { globalValue: 'sk-leak' } }))).toEqual({});
  });
});

describe('package.json mirrors the server settings', () => {
  const properties = packageJson.contributes.configuration.properties as Record<string, { default?: unknown }>;

  it('contributes every server key and no API key', () => {
    for (const key of SERVER_LEAF_KEYS) {
      expect(properties, key).toHaveProperty([`mistral.${key}`]);
    }
    expect(properties).not.toHaveProperty(['mistral.apiKey']);
  });

  it('documents the server defaults of docs/protocol.md', () => {
    expect(properties['mistral.model']?.default).toBe('mistral-medium-3.5');
    expect(properties['mistral.contextTokens']?.default).toBe(6000);
    expect(properties['mistral.timeoutSeconds']?.default).toBe(120);
    expect(properties['mistral.maxRetries']?.default).toBe(3);
    expect(properties['mistral.maxConcurrentRequests']?.default).toBe(4);
    expect(properties['mistral.reviewOnSave']?.default).toBe(false);
    expect(properties['mistral.reviewDebounceMs']?.default).toBe(1500);
    expect(properties['mistral.reviewMaxFileLines']?.default).toBe(5000);
    expect(properties['mistral.actions.explain.reasoningEffort']?.default).toBe('none');
    expect(properties['mistral.actions.fix.reasoningEffort']?.default).toBe('high');
  });

  it('gives every palette command the Mistral category and distinct ids from the server', () => {
    for (const command of packageJson.contributes.commands) {
      expect(command.category).toBe('Mistral');
      expect(command.command.startsWith('mistral-vscode.')).toBe(true);
    }
  });
});

describe('configurationFor', () => {
  const settings = { model: 'm', actions: { fix: { temperature: 0.1 } } };

  it('answers section mistral and sub-sections, and nothing else', () => {
    expect(configurationFor('mistral', settings)).toBe(settings);
    expect(configurationFor('mistral.model', settings)).toBe('m');
    expect(configurationFor('mistral.actions.fix.temperature', settings)).toBe(0.1);
    expect(configurationFor('mistral.baseUrl', settings)).toBeNull();
    expect(configurationFor('python', settings)).toBeUndefined();
    expect(configurationFor(undefined, settings)).toBeUndefined();
  });
});

describe('classifyChange', () => {
  const affects = (changed: string[]) => (section: string) =>
    changed.some((key) => key === section || key.startsWith(`${section}.`));

  it('restarts for the launch settings only', () => {
    expect(classifyChange(affects(['mistral.serverPath']))).toBe('restart');
    expect(classifyChange(affects(['mistral.interpreter']))).toBe('restart');
  });

  it('sends other mistral settings live', () => {
    expect(classifyChange(affects(['mistral.model']))).toBe('live');
    expect(classifyChange(affects(['mistral.actions.fix.temperature']))).toBe('live');
  });

  it('ignores other sections', () => {
    expect(classifyChange(affects(['editor.fontSize']))).toBe('none');
  });
});

describe('reviewOnSaveEnabled', () => {
  it('reads both shapes of the setting', () => {
    expect(reviewOnSaveEnabled(true)).toBe(true);
    expect(reviewOnSaveEnabled(['python'])).toBe(true);
    expect(reviewOnSaveEnabled([])).toBe(false);
    expect(reviewOnSaveEnabled(false)).toBe(false);
    expect(reviewOnSaveEnabled(undefined)).toBe(false);
  });
});
