/** One labelled value of a chart. */
export interface ChartPoint {
  label: string;
  value: number;
}

/** Drawing area of the panel charts, in SVG user units. */
export const CHART_WIDTH = 640;
export const CHART_HEIGHT = 240;
/** Space left of and below the plot for the axis labels, in SVG user units. */
export const CHART_MARGIN = { left: 48, bottom: 28, top: 12, right: 12 };

/** Picks the points from rows: the label from field `x`, the number from field `y`; rows whose `y` is not a number are skipped. */
export function chartPoints(rows: Record<string, unknown>[], x: string, y: string): ChartPoint[] {
  return rows.flatMap((row) => {
    const raw = row[y];
    let value = Number.NaN;
    if (typeof raw === 'number') value = raw;
    else if (typeof raw === 'string' && raw.trim() !== '') value = Number(raw);
    return Number.isFinite(value) ? [{ label: String(row[x] ?? ''), value }] : [];
  });
}

/** Returns the plotted range: from zero (or the lowest negative value) to the highest value, never empty. */
export function valueRange(points: ChartPoint[]): { min: number; max: number } {
  const min = Math.min(0, ...points.map((point) => point.value));
  const max = Math.max(0, ...points.map((point) => point.value));
  return max === min ? { min, max: min + 1 } : { min, max };
}

/** Maps a value to its SVG y coordinate. */
export function yOf(value: number, range: { min: number; max: number }): number {
  const plotHeight = CHART_HEIGHT - CHART_MARGIN.top - CHART_MARGIN.bottom;
  return CHART_MARGIN.top + ((range.max - value) / (range.max - range.min)) * plotHeight;
}

/** Bars of a bar chart: one slot per point across the plot width, with a gap of a fifth of the slot. */
export function barRects(points: ChartPoint[]): Array<{ x: number; y: number; width: number; height: number; point: ChartPoint }> {
  const range = valueRange(points);
  const plotWidth = CHART_WIDTH - CHART_MARGIN.left - CHART_MARGIN.right;
  const slot = plotWidth / Math.max(points.length, 1);
  return points.map((point, index) => {
    const top = yOf(Math.max(point.value, 0), range);
    const bottom = yOf(Math.min(point.value, 0), range);
    return { x: CHART_MARGIN.left + index * slot + slot * 0.1, y: top, width: slot * 0.8, height: Math.max(bottom - top, point.value === 0 ? 0 : 1), point };
  });
}

/** Vertices of a line chart, one per point, centred in the point's slot. */
export function linePoints(points: ChartPoint[]): Array<{ x: number; y: number; point: ChartPoint }> {
  const range = valueRange(points);
  const plotWidth = CHART_WIDTH - CHART_MARGIN.left - CHART_MARGIN.right;
  const slot = plotWidth / Math.max(points.length, 1);
  return points.map((point, index) => ({ x: CHART_MARGIN.left + index * slot + slot / 2, y: yOf(point.value, range), point }));
}
