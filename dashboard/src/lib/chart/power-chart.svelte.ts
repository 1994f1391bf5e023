/**
 * The live power chart as a Svelte attachment: chart.js is created once per canvas, and a
 * nested effect pushes the manager's `$state.raw` samples into it each time they change.
 * Only the chart.js parts used here are registered, so the rest is tree-shaken away.
 */
import { Chart, Filler, LineController, LineElement, LinearScale, PointElement, Tooltip, type ChartConfiguration, type TooltipItem } from 'chart.js';
import { followTheme } from './theme.ts';
import type { Attachment } from 'svelte/attachments';
import { CATEGORY_COLOUR, CATEGORY_LABEL, POWER_CATEGORIES } from '../categories.ts';
import { formatClock, formatKilowatts, formatTimeOfDay } from '../format.ts';
import type { LiveSite } from '../managers/live-site.svelte.ts';

Chart.register(LineController, LineElement, PointElement, LinearScale, Filler, Tooltip);

type PowerPoint = { x: number; y: number };

/** Tick spacing on the time axis: five labels over the ten-minute window. */
const TICK_EVERY_MS = 2 * 60_000;
/**
 * Just after start-up there are only seconds of data; the axis then spans at least this
 * much (with second-resolution ticks) instead of squeezing them against the right edge.
 */
const MIN_SPAN_MS = 60_000;
const SHORT_TICK_EVERY_MS = 15_000;

export function powerChart(live: LiveSite, timeZone: string | undefined): Attachment<HTMLCanvasElement> {
  return (canvas) => {
    const config: ChartConfiguration<'line', PowerPoint[]> = {
      type: 'line',
      data: {
        datasets: POWER_CATEGORIES.map((category, i) => ({
          label: CATEGORY_LABEL[category],
          data: [],
          borderColor: CATEGORY_COLOUR[category],
          backgroundColor: translucent(CATEGORY_COLOUR[category], 0.55),
          borderWidth: 1.5,
          pointRadius: 0,
          pointHoverRadius: 3,
          tension: 0.2,
          // Stacked areas: the top edge is the site total.
          fill: i === 0 ? 'origin' : '-1',
        })),
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        parsing: false,
        normalized: true,
        interaction: { mode: 'index', intersect: false },
        scales: {
          x: {
            type: 'linear',
            // Ticks on whole clock steps (…:00, …:15) rather than chart.js's even division of the range.
            afterBuildTicks: (scale) => {
              const step = shortSpan ? SHORT_TICK_EVERY_MS : TICK_EVERY_MS;
              const ticks = [];
              for (let t = Math.ceil(scale.min / step) * step; t <= scale.max; t += step) ticks.push({ value: t });
              scale.ticks = ticks;
            },
            ticks: {
              maxRotation: 0,
              callback: (value) => (shortSpan ? formatTimeOfDay(Number(value), timeZone) : formatClock(Number(value), timeZone)),
            },
            grid: { display: false },
          },
          y: {
            type: 'linear',
            stacked: true,
            beginAtZero: true,
            title: { display: true, text: 'kW' },
            ticks: { maxTicksLimit: 6 },
          },
        },
        plugins: {
          // The page draws its own legend with the live values; other charts register chart.js's.
          legend: { display: false },
          tooltip: {
            callbacks: {
              title: (items: TooltipItem<'line'>[]) => formatTimeOfDay(items[0]?.parsed.x ?? 0, timeZone),
              label: (item: TooltipItem<'line'>) => `${item.dataset.label}: ${formatKilowatts((item.parsed.y ?? 0) * 1000)}`,
            },
          },
        },
      },
    };
    let shortSpan = false;
    const chart = new Chart(canvas, config);

    const stopFollowingTheme = followTheme(chart, canvas);

    $effect(() => {
      const samples = live.samples;
      chart.data.datasets.forEach((dataset, i) => {
        const category = POWER_CATEGORIES[i]!;
        dataset.data = samples.map((s) => ({ x: s.at, y: s.by_category[category] / 1000 }));
      });
      const newest = samples.at(-1)?.at;
      const oldest = samples[0]?.at;
      const x = chart.options.scales?.x;
      if (x && newest !== undefined && oldest !== undefined) {
        const span = Math.min(live.windowMs, Math.max(MIN_SPAN_MS, newest - oldest));
        shortSpan = span < live.windowMs / 2;
        x.min = newest - span;
        x.max = newest;
      }
      chart.update('none');
    });

    return () => {
      stopFollowingTheme();
      chart.destroy();
    };
  };
}

function translucent(hex: string, alpha: number): string {
  const n = Number.parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}
