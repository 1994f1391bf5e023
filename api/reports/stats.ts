/** Order statistics for the per-member-day figures (METHODOLOGY §6: median and interquartile range). */

export interface Spread {
  /** Member-days in the distribution. */
  n: number;
  median: number;
  /** First and third quartiles; q3 − q1 is the interquartile range. */
  q1: number;
  q3: number;
}

/**
 * Quantile by linear interpolation between closest ranks (Hyndman & Fan type 7, the default
 * of R, NumPy and spreadsheet QUARTILE.INC), so a funder can check it with a spreadsheet.
 * `sorted` must be ascending and non-empty.
 */
export function quantile(sorted: readonly number[], p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/** Median and quartiles; all 0 with n = 0 for an empty list. */
export function spread(values: readonly number[]): Spread {
  if (values.length === 0) return { n: 0, median: 0, q1: 0, q3: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  return { n: sorted.length, median: quantile(sorted, 0.5), q1: quantile(sorted, 0.25), q3: quantile(sorted, 0.75) };
}
