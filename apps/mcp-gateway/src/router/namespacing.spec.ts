import { describe, expect, it } from 'vitest';
import { aggregatable, namespacedName, namespacedUri, splitName, splitUri } from './namespacing.js';

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

});
