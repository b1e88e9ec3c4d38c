import { describe, expect, it } from 'vitest';
import { grantableRoles, roleAllows } from './roles';

describe('roleAllows', () => {
  it.each([
    ['viewer', 'read', true],
    ['viewer', 'write', false],
    ['editor', 'write', true],
    ['editor', 'manage', false],
    ['owner', 'manage', true],
  ] as const)('%s may %s: %s', (role, access, expected) => {
    expect(roleAllows(role, access)).toBe(expected);
  });
});

describe('grantableRoles', () => {
  it('lists roles up to the caller’s, highest first', () => {
    expect(grantableRoles('owner')).toEqual(['owner', 'editor', 'viewer']);
    expect(grantableRoles('editor')).toEqual(['editor', 'viewer']);
    expect(grantableRoles('viewer')).toEqual(['viewer']);
  });
});
