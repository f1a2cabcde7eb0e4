/** Number formatting shared by the live view and the summary. */

/** Milliseconds for a table: one decimal below 100 ms, whole numbers with separators above. */
export function formatMs(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '–';
  return ms < 100 ? ms.toFixed(1) : Math.round(ms).toLocaleString('en-US');
}

export function formatCount(count: number): string {
  return count.toLocaleString('en-US');
}

export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
