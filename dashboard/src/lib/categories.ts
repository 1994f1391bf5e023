/**
 * Energy categories as the live view shows them, with one colour each. The colours are the
 * Okabe–Ito palette (Okabe & Ito 2008, "Color Universal Design"), chosen so the categories
 * stay distinguishable with the common colour-vision deficiencies; none relies on red vs green.
 */
import type { LiveSnapshot } from '../../../devices/api-types.ts';

export type PowerCategory = keyof LiveSnapshot['power_w']['by_category'];
export type CategoryPower = LiveSnapshot['power_w']['by_category'];

/** Stacking order in the chart, bottom first: what members control, then the building. */
export const POWER_CATEGORIES: readonly PowerCategory[] = ['desk', 'lighting', 'heating', 'hvac', 'common', 'unmetered'];

export const CATEGORY_LABEL: Readonly<Record<PowerCategory, string>> = {
  desk: 'Desks',
  lighting: 'Lighting',
  heating: 'Heating',
  hvac: 'Ventilation & cooling',
  common: 'Kitchen & shared',
  unmetered: 'Unmetered',
};

export const OKABE_ITO = {
  orange: '#E69F00',
  skyBlue: '#56B4E9',
  bluishGreen: '#009E73',
  yellow: '#F0E442',
  blue: '#0072B2',
  vermillion: '#D55E00',
  reddishPurple: '#CC79A7',
  grey: '#999999',
} as const;

export const CATEGORY_COLOUR: Readonly<Record<PowerCategory, string>> = {
  desk: OKABE_ITO.blue,
  lighting: OKABE_ITO.orange,
  heating: OKABE_ITO.vermillion,
  hvac: OKABE_ITO.skyBlue,
  common: OKABE_ITO.bluishGreen,
  unmetered: OKABE_ITO.grey,
};

export function zeroCategoryPower(): CategoryPower {
  return { desk: 0, lighting: 0, heating: 0, hvac: 0, common: 0, unmetered: 0 };
}
