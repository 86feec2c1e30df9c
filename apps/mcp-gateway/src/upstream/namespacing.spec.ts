import { describe, expect, it } from 'vitest';
import { aggregatable, decodeCursor, encodeCursor, namespacedName, namespacedUri, splitName, splitUri } from './namespacing.js';

describe('aggregate namespacing', () => {
  it('round-trips tool names and resource URIs, including names that contain the separator', () => {
    expect(splitName(namespacedName('github', 'create__issue'))).toEqual({ server: 'github', name: 'create__issue' });
    expect(splitName(namespacedName('my-server_2', 'x'))).toEqual({ server: 'my-server_2', name: 'x' });
    expect(splitUri(namespacedUri('web', 'test://template/{id}/data'))).toEqual({ server: 'web', uri: 'test://template/{id}/data' });
    expect(new URL(namespacedUri('web', 'test://static-text')).protocol).toBe('web+test:');
  });

  it('keeps ambiguous server names out of the aggregate and refuses unprefixed names', () => {
    expect(aggregatable('a__b')).toBe(false);
    expect(aggregatable('trailing_')).toBe(false);
    expect(aggregatable('Upper')).toBe(false);
    expect(splitName('echo')).toBeUndefined();
    expect(splitName('__echo')).toBeUndefined();
    expect(splitUri('test://static-text')).toBeUndefined();
  });

  it('encodes list cursors opaquely and rejects tampered ones', () => {
    expect(decodeCursor(encodeCursor(2, 'abc'))).toEqual({ serverIndex: 2, upstreamCursor: 'abc' });
    expect(decodeCursor(encodeCursor(0, undefined))).toEqual({ serverIndex: 0, upstreamCursor: undefined });
    expect(decodeCursor('not-a-cursor')).toBeUndefined();
    expect(decodeCursor(Buffer.from('{"s":-1,"c":null}').toString('base64url'))).toBeUndefined();
  });
});
