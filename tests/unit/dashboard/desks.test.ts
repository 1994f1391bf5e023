import { describe, expect, it } from 'vitest';
import type { DeskLive } from '../../../devices/api-types.ts';
import { deskState } from '../../../dashboard/src/lib/desks.ts';

const desk = (over: Partial<DeskLive>): DeskLive => ({ id: 'n01', zone: 'north', x: 0.1, y: 0.3, occupied: false, checked_in: false, power_w: 0, ...over });

describe('floor-plan desk state', () => {
  it('someone seated wins over a check-in, which wins over power draw', () => {
    expect(deskState(desk({ occupied: true, checked_in: true, power_w: 60 }))).toBe('occupied');
    expect(deskState(desk({ occupied: false, checked_in: true, power_w: 60 }))).toBe('checked_in');
    expect(deskState(desk({ occupied: false, power_w: 42 }))).toBe('powered_empty');
  });

  it('standby draw does not count as drawing power; a desk without an occupancy reading is unknown', () => {
    expect(deskState(desk({ occupied: false, power_w: 1.5 }))).toBe('free');
    expect(deskState(desk({ occupied: null, power_w: null }))).toBe('unknown');
  });
});
