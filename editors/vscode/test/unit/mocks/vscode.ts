/**
 * A small stand-in for the `vscode` module (aliased in vitest.config.mts): enough of the API
 * for the modules under test, with spies (`vi.fn`) where tests inspect calls.
 */
import { vi } from 'vitest';

export class Disposable {
  constructor(private readonly fn: () => void = () => undefined) {}
  dispose(): void {
    this.fn();
  }
}

export class EventEmitter<T> {
  private listeners = new Set<(e: T) => void>();
  event = (listener: (e: T) => void): Disposable => {
    this.listeners.add(listener);
    return new Disposable(() => this.listeners.delete(listener));
  };
  fire(e: T): void {
    for (const l of this.listeners) l(e);
  }
  dispose(): void {
    this.listeners.clear();
  }
}

export class ThemeColor {
  constructor(readonly id: string) {}
}

export class Uri {
  private constructor(
    readonly scheme: string,
    readonly path: string,
    readonly query = '',
  ) {}
  static parse(value: string): Uri {
    const match = /^([a-z][\w+.-]*):(?:\/\/[^/]*)?([^?#]*)(?:\?([^#]*))?/i.exec(value);
    return new Uri(match?.[1] ?? 'file', decodeURIComponent(match?.[2] ?? value), match?.[3] ?? '');
  }
  static file(path: string): Uri {
    return new Uri('file', path);
  }
  static from(parts: { scheme: string; path?: string; query?: string }): Uri {
    return new Uri(parts.scheme, parts.path ?? '', parts.query ?? '');
  }
  with(change: { scheme?: string; path?: string }): Uri {
    return new Uri(change.scheme ?? this.scheme, change.path ?? this.path, this.query);
  }
  get fsPath(): string {
    return this.path;
  }
  toString(): string {
    const authority = this.scheme === 'file' ? '//' : '';
    return `${this.scheme}:${authority}${this.path}${this.query ? `?${this.query}` : ''}`;
  }
}

export class Position {
  constructor(
    readonly line: number,
    readonly character: number,
  ) {}
}

export class Range {
  readonly start: Position;
  readonly end: Position;
  constructor(a: Position | number, b: Position | number, c?: number, d?: number) {
    this.start = typeof a === 'number' ? new Position(a, b as number) : a;
    this.end = typeof a === 'number' ? new Position(c ?? 0, d ?? 0) : (b as Position);
  }
}

/** Records replacements: [uri, range, text]. */
export class WorkspaceEdit {
  readonly replaced: [Uri, Range, string][] = [];
  replace(uri: Uri, range: Range, text: string): void {
    this.replaced.push([uri, range, text]);
  }
}

export class ThemeIcon {
  constructor(readonly id: string) {}
}

export enum TreeItemCollapsibleState {
  None = 0,
  Collapsed = 1,
  Expanded = 2,
}

export class TreeItem {
  id?: string;
  description?: string;
  tooltip?: string;
  resourceUri?: Uri;
  iconPath?: ThemeIcon;
  contextValue?: string;
  command?: { title: string; command: string; arguments?: unknown[] };
  constructor(
    readonly label: string,
    readonly collapsibleState?: TreeItemCollapsibleState,
  ) {}
}

export class TabInputTextDiff {
  constructor(
    readonly original: Uri,
    readonly modified: Uri,
  ) {}
}

export enum StatusBarAlignment {
  Left = 1,
  Right = 2,
}
export enum ViewColumn {
  Active = -1,
  Beside = -2,
  One = 1,
  Two = 2,
}

export const tabChange = new EventEmitter<{ opened: unknown[]; closed: unknown[]; changed: unknown[] }>();
export const tabs: { input: unknown }[] = [];

export const window = {
  showInformationMessage: vi.fn(async (..._args: unknown[]) => undefined as string | undefined),
  showWarningMessage: vi.fn(async (..._args: unknown[]) => undefined as string | undefined),
  showErrorMessage: vi.fn(async (..._args: unknown[]) => undefined as string | undefined),
  showQuickPick: vi.fn(async (..._args: unknown[]) => undefined as unknown),
  showInputBox: vi.fn(async (..._args: unknown[]) => undefined as string | undefined),
  showTextDocument: vi.fn(async (document: unknown) => ({ document })),
  setStatusBarMessage: vi.fn(),
  visibleTextEditors: [] as unknown[],
  activeTextEditor: undefined as unknown,
  tabGroups: {
    get all() {
      return [{ tabs }];
    },
    close: vi.fn(async (closing: unknown[]) => {
      for (const tab of closing) {
        const index = tabs.indexOf(tab as { input: unknown });
        if (index >= 0) tabs.splice(index, 1);
      }
      tabChange.fire({ opened: [], closed: closing, changed: [] });
      return true;
    }),
    onDidChangeTabs: tabChange.event,
  },
  createWebviewPanel: vi.fn(() => createPanel()),
  createStatusBarItem: vi.fn(),
  createOutputChannel: vi.fn(),
};

export const commands = {
  executeCommand: vi.fn(async (..._args: unknown[]) => undefined as unknown),
  registerCommand: vi.fn(() => new Disposable()),
};

export const documentChange = new EventEmitter<{ document: unknown; contentChanges: { range: unknown; text: string }[] }>();

export const contentProviders = new Map<string, { provideTextDocumentContent(uri: Uri): string }>();

export const workspace = {
  getConfiguration: vi.fn(),
  onDidChangeConfiguration: vi.fn(() => new Disposable()),
  onDidChangeTextDocument: documentChange.event,
  workspaceFolders: [] as unknown[],
  textDocuments: [] as unknown[],
  openTextDocument: vi.fn(),
  applyEdit: vi.fn(async (_edit: unknown) => true),
  fs: { stat: vi.fn(async (_uri: unknown): Promise<unknown> => { throw new Error('ENOENT'); }) },
  asRelativePath: vi.fn((uri: Uri) => uri.path.replace(/^\/w\//, '')),
  registerTextDocumentContentProvider: vi.fn((scheme: string, provider: { provideTextDocumentContent(uri: Uri): string }) => {
    contentProviders.set(scheme, provider);
    return new Disposable(() => contentProviders.delete(scheme));
  }),
};

export const env = { remoteName: undefined as string | undefined };

export const languages = { getDiagnostics: vi.fn(() => []) };
export const extensions = { getExtension: vi.fn(() => undefined) };

/** A webview panel that records what the extension posts to it. */
export interface FakePanel {
  title: string;
  posted: Record<string, unknown>[];
  webview: {
    html: string;
    cspSource: string;
    postMessage(message: Record<string, unknown>): Promise<boolean>;
    onDidReceiveMessage: (listener: (m: unknown) => void) => Disposable;
  };
  receive: EventEmitter<unknown>;
  disposed: EventEmitter<void>;
  onDidDispose: (listener: () => void) => Disposable;
  reveal: ReturnType<typeof vi.fn>;
  dispose(): void;
}

export const panels: FakePanel[] = [];

function createPanel(): FakePanel {
  const receive = new EventEmitter<unknown>();
  const disposed = new EventEmitter<void>();
  const panel: FakePanel = {
    title: '',
    posted: [],
    webview: {
      html: '',
      cspSource: 'vscode-resource:',
      postMessage: async (message) => {
        panel.posted.push(message);
        return true;
      },
      onDidReceiveMessage: receive.event,
    },
    receive,
    disposed,
    onDidDispose: disposed.event,
    reveal: vi.fn(),
    dispose: () => disposed.fire(),
  };
  panels.push(panel);
  return panel;
}
