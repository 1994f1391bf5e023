/**
 * Keeps a chart's axis, grid and legend colours in step with the page theme (CSS custom
 * properties `--text-muted` and `--grid`, light or dark by prefers-color-scheme).
 * Returns the function that stops following it.
 */
import { Chart, type ChartOptions, type ChartType } from 'chart.js';

export function followTheme<T extends ChartType, D, L>(chart: Chart<T, D, L>, canvas: HTMLCanvasElement): () => void {
  const options = chart.options as ChartOptions;
  const apply = () => {
    const style = getComputedStyle(canvas);
    const text = style.getPropertyValue('--text-muted').trim() || '#5b6675';
    const grid = style.getPropertyValue('--grid').trim() || 'rgba(0,0,0,0.08)';
    Chart.defaults.font.family = style.fontFamily;
    for (const axis of ['x', 'y'] as const) {
      const scale = options.scales?.[axis];
      if (!scale) continue;
      if (scale.ticks) scale.ticks.color = text;
      if (scale.grid) scale.grid.color = grid;
      if ('title' in scale && scale.title) scale.title.color = text;
    }
    const legend = options.plugins?.legend;
    if (legend?.labels) legend.labels.color = text;
    chart.update('none');
  };
  apply();
  const darkScheme = matchMedia('(prefers-color-scheme: dark)');
  darkScheme.addEventListener('change', apply);
  return () => darkScheme.removeEventListener('change', apply);
}
