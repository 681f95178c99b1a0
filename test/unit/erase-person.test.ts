import { describe, expect, it } from 'vitest';
import { mergedPerson } from '../../functions/privacy/erase.js';

describe('the person an erasure removes', () => {
  const merge = (id: string, primaryId: string, duplicateIds: string[], phase: 'completed' | 'undone' | 'failed' = 'completed') => ({ id, primaryId, duplicateIds, phase });

  it('is the contact and every duplicate merged into it by a standing merge, merges of merges included', () => {
    const merges = [merge('m1', 'b', ['c', 'd']), merge('m2', 'a', ['b']), merge('m3', 'd', ['e']), merge('m4', 'x', ['y'])];
    expect(mergedPerson('a', merges)).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('leaves out contacts of undone or failed merges, and the primary a contact was merged into', () => {
    const merges = [merge('m1', 'a', ['b'], 'undone'), merge('m2', 'a', ['c'], 'failed'), merge('m3', 'p', ['a'])];
    expect(mergedPerson('a', merges)).toEqual(['a']);
  });
});
