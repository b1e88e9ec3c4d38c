import { describe, expect, it } from 'vitest';
import type { Membership } from './api-types';
import { pickWorkspace, readStoredWorkspace, storeWorkspace, WORKSPACE_STORAGE_KEY } from './workspace';

const team: Membership = { id: 'wsp_team', slug: 'team', name: 'Team', role: 'owner' };
const lab: Membership = { id: 'wsp_lab', slug: 'lab', name: 'Lab', role: 'viewer' };

describe('pickWorkspace', () => {
  it('returns the stored workspace', () => {
    expect(pickWorkspace([team, lab], 'wsp_lab')).toBe(lab);
  });

  it('falls back to the first when the stored one is gone', () => {
    expect(pickWorkspace([team, lab], 'wsp_removed')).toBe(team);
  });

  it('falls back to the first when nothing is stored', () => {
    expect(pickWorkspace([team, lab], null)).toBe(team);
  });

  it('returns null without memberships', () => {
    expect(pickWorkspace([], 'wsp_team')).toBeNull();
  });
});

describe('workspace storage', () => {
  it('round-trips through localStorage', () => {
    storeWorkspace('wsp_lab');

    expect(localStorage.getItem(WORKSPACE_STORAGE_KEY)).toBe('wsp_lab');
    expect(readStoredWorkspace()).toBe('wsp_lab');
  });

  it('reads null when storage throws', () => {
    const storage = {
      getItem(): string | null {
        throw new Error('SecurityError');
      },
    };

    expect(readStoredWorkspace(storage)).toBeNull();
  });
});
