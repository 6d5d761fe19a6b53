/**
 * `mistral/stream` notifications (docs/protocol.md, "While a command runs"): pieces of answer
 * text per run id, a `lookup` line per workspace tool call the model makes, then one `done`
 * message. The router hands each run's accumulated state to whoever subscribed to that id (the
 * explain view); runs nobody watches are dropped.
 */

export interface StreamMessage {
  id: string;
  action: string;
  uri: string;
  delta?: string;
  done?: boolean;
  error?: string;
  cancelled?: boolean;
  /** The model looks something up (a tool call): "looking up `parse_header` — email/…". */
  lookup?: string;
}

export function isStreamMessage(value: unknown): value is StreamMessage {
  const v = value as Partial<StreamMessage> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.id === 'string' &&
    (v.delta === undefined || typeof v.delta === 'string') &&
    (v.done === undefined || typeof v.done === 'boolean') &&
    (v.lookup === undefined || typeof v.lookup === 'string')
  );
}

export type StreamStatus = 'streaming' | 'done' | 'cancelled' | 'failed';

/** One run's answer so far. */
export class StreamState {
  private readonly pieces: string[] = [];
  private joined = '';
  private dirty = false;
  status: StreamStatus = 'streaming';
  error: string | undefined;
  chunks = 0;
  /** The tool calls announced so far, in order. */
  readonly lookups: string[] = [];

  constructor(
    readonly id: string,
    public action = '',
    public uri = '',
  ) {}

  get text(): string {
    if (this.dirty) {
      this.joined += this.pieces.join('');
      this.pieces.length = 0;
      this.dirty = false;
    }
    return this.joined;
  }

  get finished(): boolean {
    return this.status !== 'streaming';
  }

  /** Folds one message in; returns false when the run had already finished (late message). */
  apply(message: StreamMessage): boolean {
    if (this.finished) {
      return false;
    }
    this.action ||= message.action;
    this.uri ||= message.uri;
    if (message.lookup) {
      this.lookups.push(message.lookup);
    }
    if (message.delta) {
      this.pieces.push(message.delta);
      this.dirty = true;
      this.chunks++;
    }
    if (message.done) {
      if (message.error) {
        this.status = 'failed';
        this.error = message.error;
      } else {
        this.status = message.cancelled ? 'cancelled' : 'done';
      }
    }
    return true;
  }

  /** The request resolved: its `text` is the authoritative full answer. */
  complete(text: string | undefined, cancelled = false): void {
    if (text !== undefined && text.length >= this.text.length) {
      this.pieces.length = 0;
      this.dirty = false;
      this.joined = text;
    }
    if (!this.finished) {
      this.status = cancelled ? 'cancelled' : 'done';
    }
  }

  fail(error: string): void {
    if (!this.finished) {
      this.status = 'failed';
      this.error = error;
    }
  }
}

export type StreamListener = (state: StreamState, message: StreamMessage) => void;

export interface Disposable {
  dispose(): void;
}

export class StreamRouter {
  private readonly states = new Map<string, { state: StreamState; listener: StreamListener }>();

  /** Watches run `id`; the listener sees every message until `done`, then is dropped. */
  subscribe(id: string, listener: StreamListener): { state: StreamState } & Disposable {
    const state = new StreamState(id);
    this.states.set(id, { state, listener });
    return {
      state,
      dispose: () => {
        if (this.states.get(id)?.state === state) {
          this.states.delete(id);
        }
      },
    };
  }

  /** Handles one notification; returns whether a subscriber took it. */
  handle(message: unknown): boolean {
    if (!isStreamMessage(message)) {
      return false;
    }
    const entry = this.states.get(message.id);
    if (!entry || !entry.state.apply(message)) {
      return false;
    }
    if (entry.state.finished) {
      this.states.delete(message.id);
    }
    entry.listener(entry.state, message);
    return true;
  }

  get size(): number {
    return this.states.size;
  }
}
