import { describe, expect, it } from 'vitest';
import { honoredFilter, listenAcknowledgement, listenFilterAccepts, listenNotification, parseListenFilter, withoutSubscriptionId } from './subscriptions-listen.js';

describe('subscriptions/listen helpers', () => {
  it('the filter is required and typed: anything else is -32602', () => {
    expect(parseListenFilter({}).ok).toBe(false);
    expect(parseListenFilter({ notifications: { toolsListChanged: 'yes' } }).ok).toBe(false);
    expect(parseListenFilter({ notifications: { resourceSubscriptions: [1] } }).ok).toBe(false);
    const bad = parseListenFilter({ notifications: null });
    expect(!bad.ok && bad.error.code).toBe(-32602);
    expect(parseListenFilter({ notifications: { toolsListChanged: true, resourceSubscriptions: ['a://b'] } })).toEqual({
      ok: true,
      filter: { toolsListChanged: true, resourceSubscriptions: ['a://b'] },
    });
  });

  it('honours only what was asked for and what the capabilities announce', () => {
    const requested = { toolsListChanged: true, promptsListChanged: false, resourcesListChanged: true, resourceSubscriptions: ['a://x', 'a://x'] };
    expect(honoredFilter(requested, { tools: { listChanged: true }, prompts: { listChanged: true }, resources: { subscribe: true } })).toEqual({
      toolsListChanged: true,
      resourceSubscriptions: ['a://x'],
    });
    expect(honoredFilter(requested, { tools: {} })).toEqual({});
  });

  it('accepts only opted-in notifications; resource updates for the listed URIs only', () => {
    const filter = { toolsListChanged: true, resourceSubscriptions: ['a://x'] };
    expect(listenFilterAccepts(filter, 'notifications/tools/list_changed', undefined)).toBe(true);
    expect(listenFilterAccepts(filter, 'notifications/prompts/list_changed', undefined)).toBe(false);
    expect(listenFilterAccepts(filter, 'notifications/resources/updated', { uri: 'a://x' })).toBe(true);
    expect(listenFilterAccepts(filter, 'notifications/resources/updated', { uri: 'a://y' })).toBe(false);
    expect(listenFilterAccepts(filter, 'notifications/message', { level: 'info' })).toBe(false);
  });

  it('stamps the listen request id on every message and strips an upstream one', () => {
    expect(listenAcknowledgement({ toolsListChanged: true }, 'listen:1').params).toEqual({
      notifications: { toolsListChanged: true },
      _meta: { 'io.modelcontextprotocol/subscriptionId': 'listen:1' },
    });
    const relayed = listenNotification('notifications/resources/updated', withoutSubscriptionId({ uri: 'a://x', _meta: { 'io.modelcontextprotocol/subscriptionId': 9 } }), 3);
    expect(relayed.params).toEqual({ uri: 'a://x', _meta: { 'io.modelcontextprotocol/subscriptionId': 3 } });
  });
});
