import { describe, expect, it, vi } from 'vitest';
import { isStreamMessage, StreamRouter, StreamState } from '../../src/common/stream';

const msg = (fields: Record<string, unknown>) => ({ id: 'r1', action: 'explain', uri: 'file:///a.py', ...fields });

describe('StreamState', () => {
  it('accumulates deltas in order and finishes on done', () => {
    const state = new StreamState('r1');
    state.apply(msg({ delta: 'Hello' }));
    state.apply(msg({ delta: ', ' }));
    expect(state.text).toBe('Hello, ');
    state.apply(msg({ delta: 'world' }));
    state.apply(msg({ done: true }));
    expect(state.text).toBe('Hello, world');
    expect(state.status).toBe('done');
    expect(state.chunks).toBe(3);
  });

  it('records an error or a cancellation from the done message', () => {
    const failed = new StreamState('r1');
    failed.apply(msg({ done: true, error: 'HTTP 429: rate limited' }));
    expect(failed.status).toBe('failed');
    expect(failed.error).toBe('HTTP 429: rate limited');
    const cancelled = new StreamState('r1');
    cancelled.apply(msg({ done: true, cancelled: true }));
    expect(cancelled.status).toBe('cancelled');
  });

  it('ignores messages after done', () => {
    const state = new StreamState('r1');
    state.apply(msg({ delta: 'a', done: true }));
    expect(state.apply(msg({ delta: 'late' }))).toBe(false);
    expect(state.text).toBe('a');
  });

  it('takes the request result as the authoritative text', () => {
    const state = new StreamState('r1');
    state.apply(msg({ delta: 'Hel' }));
    state.complete('Hello');
    expect(state.text).toBe('Hello');
    expect(state.status).toBe('done');
  });

  it('keeps the streamed text when the result has none', () => {
    const state = new StreamState('r1');
    state.apply(msg({ delta: 'partial' }));
    state.complete(undefined, true);
    expect(state.text).toBe('partial');
    expect(state.status).toBe('cancelled');
  });
});

describe('StreamRouter', () => {
  it('routes by run id and drops runs nobody watches', () => {
    const router = new StreamRouter();
    const listener = vi.fn();
    const sub = router.subscribe('r1', listener);
    expect(router.handle(msg({ id: 'other', delta: 'x' }))).toBe(false);
    expect(router.handle(msg({ delta: 'x' }))).toBe(true);
    expect(listener).toHaveBeenCalledTimes(1);
    expect(sub.state.text).toBe('x');
  });

  it('forgets a run once it is done', () => {
    const router = new StreamRouter();
    const listener = vi.fn();
    router.subscribe('r1', listener);
    router.handle(msg({ delta: 'x' }));
    router.handle(msg({ done: true }));
    expect(router.size).toBe(0);
    expect(router.handle(msg({ delta: 'late' }))).toBe(false);
    expect(listener).toHaveBeenCalledTimes(2);
    expect(listener.mock.calls[1]?.[0].status).toBe('done');
  });

  it('stops after dispose', () => {
    const router = new StreamRouter();
    const listener = vi.fn();
    router.subscribe('r1', listener).dispose();
    expect(router.handle(msg({ delta: 'x' }))).toBe(false);
    expect(listener).not.toHaveBeenCalled();
  });

  it('rejects malformed notifications', () => {
    expect(isStreamMessage(null)).toBe(false);
    expect(isStreamMessage({ delta: 'x' })).toBe(false);
    expect(isStreamMessage({ id: 'r1', delta: 3 })).toBe(false);
    expect(isStreamMessage(msg({ delta: 'ok' }))).toBe(true);
  });

  it('accumulates a long stream without quadratic copying', () => {
    const router = new StreamRouter();
    const sub = router.subscribe('r1', () => undefined);
    for (let i = 0; i < 20_000; i++) {
      router.handle(msg({ delta: 'ab' }));
    }
    expect(sub.state.text.length).toBe(40_000);
  });
});
