/**
 * Bars per day (or per carrier) with optional reference lines, as a Svelte attachment: the
 * member's daily footprint against the baseline, the funder's daily emissions. chart.js is
 * created once per canvas; a nested effect pushes new data in when the getter's result
 * changes. Registers only the parts it draws; it lives in the role views' chunks.
 */
import { BarController, BarElement, CategoryScale, Chart, Legend, LineController, LineElement, LinearScale, PointElement, Tooltip, type ChartConfiguration, type ChartDataset } from 'chart.js';
import { followTheme } from './theme.ts';
import type { Attachment } from 'svelte/attachments';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, Tooltip, Legend);

export interface BarChartData {
  labels: readonly string[];
  /** null: no data that day, so no bar (never a zero bar for a missing value). */
  bars: readonly { label: string; colour: string; values: readonly (number | null)[] }[];
  /** Reference lines drawn over the bars (a baseline). */
  lines?: readonly { label: string; colour: string; values: readonly (number | null)[]; dashed?: boolean }[];
  /** Axis title and tooltip unit, e.g. "kg CO₂e". */
  unit: string;
  stacked?: boolean;
  /** Formats a value for tooltips in the page's locale. */
  format: (value: number) => string;
}

export function barChart(data: () => BarChartData): Attachment<HTMLCanvasElement> {
  return (canvas) => {
    const initial = data();
    const config: ChartConfiguration<'bar' | 'line', (number | null)[], string> = {
      type: 'bar',
      data: { labels: [], datasets: [] },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: 'index', intersect: false },
        scales: {
          x: { stacked: initial.stacked ?? false, grid: { display: false }, ticks: { maxRotation: 0, autoSkipPadding: 12 } },
          y: { stacked: initial.stacked ?? false, beginAtZero: true, title: { display: true, text: initial.unit }, ticks: { maxTicksLimit: 6 } },
        },
        plugins: {
          legend: { display: true, position: 'bottom', labels: { boxWidth: 12, boxHeight: 12 } },
          tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${item.parsed.y === null ? '—' : data().format(item.parsed.y)}` } },
        },
      },
    };
    const chart = new Chart(canvas, config);

    const stopFollowingTheme = followTheme(chart, canvas);

    $effect(() => {
      const d = data();
      const datasets: ChartDataset<'bar' | 'line', (number | null)[]>[] = [
        ...(d.lines ?? []).map((l) => ({
          type: 'line' as const,
          label: l.label,
          data: [...l.values],
          borderColor: l.colour,
          backgroundColor: l.colour,
          borderWidth: 2,
          borderDash: l.dashed ? [6, 4] : [],
          // Points, so a value between two days without one still shows.
          pointRadius: 2.5,
          pointHoverRadius: 3,
          // A line stops over days without a value rather than bridging them as if known.
          spanGaps: false,
          order: 0,
        })),
        ...d.bars.map((b) => ({ type: 'bar' as const, label: b.label, data: [...b.values], backgroundColor: b.colour, borderRadius: 3, maxBarThickness: 28, order: 1 })),
      ];
      chart.data.labels = [...d.labels];
      chart.data.datasets = datasets;
      chart.update('none');
    });

    return () => {
      stopFollowingTheme();
      chart.destroy();
    };
  };
}
