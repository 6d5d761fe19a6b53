import { describe, expect, it } from 'vitest';
import packageJson from '../../package.json';

type Property = { type?: string | string[]; enum?: string[]; default?: unknown; order?: number; markdownDescription?: string; scope?: string };
const properties = packageJson.contributes.configuration.properties as unknown as Record<string, Property>;

/** The settings in the order VS Code's settings editor shows them. */
const shown = Object.entries(properties)
  .sort(([a, pa], [b, pb]) => (pa.order ?? 1000) - (pb.order ?? 1000) || a.localeCompare(b))
  .map(([key]) => key);

describe('package.json settings', () => {
  it('gives every reasoningEffort a dropdown of its values with the default among them', () => {
    const efforts = Object.entries(properties).filter(([key]) => key.endsWith('.reasoningEffort'));
    expect(efforts.length).toBeGreaterThanOrEqual(4);
    for (const [key, prop] of efforts) {
      expect(prop.enum, key).toEqual(['none', 'high']);
      expect(prop.enum, key).toContain(prop.default);
      expect(prop.type, key).toBe('string');
    }
  });

  it('shows Interpreter right after Server Path, then the install settings', () => {
    expect(shown.slice(0, 4)).toEqual(['mistral.serverPath', 'mistral.interpreter', 'mistral.installIndexUrl', 'mistral.installFindLinks']);
  });

  it("says Server Path falls back to a mistral-lsp on PATH, and never to a PyPI install", () => {
    expect(properties['mistral.serverPath']?.markdownDescription).toContain('`mistral-lsp` on PATH');
    expect(JSON.stringify(packageJson)).not.toMatch(/pipx? install mistral-lsp/);
  });

  it('installs on the remote side, with a Reinstall Server command, and restores the explain view', () => {
    expect(packageJson.extensionKind).toEqual(['workspace']);
    expect(packageJson.contributes.commands.map((c) => c.title)).toContain('Reinstall Server');
    expect(packageJson.activationEvents).toContain('onWebviewPanel:mistral.explain');
    expect(properties['mistral.installFindLinks']?.scope).toBe('machine');
  });
});
