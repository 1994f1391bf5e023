/** How the floor plan classifies a desk, from its live state. */
import type { DeskLive } from '../../../devices/api-types.ts';
import { OKABE_ITO } from './categories.ts';

export type DeskState = 'occupied' | 'checked_in' | 'powered_empty' | 'free' | 'unknown';

/**
 * Above this a desk plug is powering something in use rather than idling: EU ecodesign
 * rules cap off/standby draw at 0.5 W per device (Regulation (EU) 2019/2021, Annex II),
 * so a few chargers and a docked monitor on standby stay well under 5 W.
 */
export const DRAWING_POWER_W = 5;

/** One state per desk; someone sitting there wins over a check-in, which wins over power. */
export function deskState(desk: DeskLive): DeskState {
  if (desk.occupied === true) return 'occupied';
  if (desk.checked_in) return 'checked_in';
  if (desk.power_w !== null && desk.power_w > DRAWING_POWER_W) return 'powered_empty';
  if (desk.occupied === false) return 'free';
  return 'unknown';
}

export const DESK_STATE_LABEL: Readonly<Record<DeskState, string>> = {
  occupied: 'Occupied',
  checked_in: 'Checked in, not seated',
  powered_empty: 'Empty but drawing power',
  free: 'Free',
  unknown: 'No sensor reading',
};

export const DESK_STATE_COLOUR: Readonly<Record<DeskState, string>> = {
  occupied: OKABE_ITO.bluishGreen,
  checked_in: OKABE_ITO.skyBlue,
  powered_empty: OKABE_ITO.vermillion,
  free: 'transparent',
  unknown: 'transparent',
};
