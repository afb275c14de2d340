import {
  CategoryScale,
  Chart,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartDataset,
} from 'chart.js';
import { useEffect, useRef, useState } from 'react';
import type { ArmSeriesPoint, MetricsBucket, Proportion } from '../lib/contract/experiments';
import { interval, pct } from './format';

Chart.register(LineController, LineElement, PointElement, LinearScale, CategoryScale, Filler, Tooltip, Legend);

/** Arm colours, readable on the light and the dark background alike. */
const PALETTE = ['#2f6fdf', '#e0752d', '#2a9d6a', '#b547c9', '#c9a227', '#d2415a', '#3aa6b9', '#7d6b5d'];

function alpha(hex: string, a: number): string {
  const n = Number.parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${a})`;
}

function bucketLabel(iso: string, bucket: MetricsBucket): string {
  const date = new Date(iso);
  if (bucket === 'hour') return date.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
  return date.toLocaleDateString(undefined, { month: 'short', day: 'numeric', ...(bucket === 'week' ? { year: '2-digit' } : {}) });
}

/** Follows the system's light/dark switch, so the axes are redrawn in the new colours. */
function useColorScheme(): string {
  const query = '(prefers-color-scheme: dark)';
  const [scheme, setScheme] = useState(() => (matchMedia(query).matches ? 'dark' : 'light'));
  useEffect(() => {
    const list = matchMedia(query);
    const onChange = () => setScheme(list.matches ? 'dark' : 'light');
    list.addEventListener('change', onChange);
    return () => list.removeEventListener('change', onChange);
  }, []);
  return scheme;
}

interface ArmChartProps {
  title: string;
  metric: 'adopted' | 'preferenceWins';
  series: ArmSeriesPoint[];
  arms: string[];
  bucket: MetricsBucket;
}

/**
 * A rate per arm over time, each line with its 95% interval as a band: the band is the area between
 * an invisible `low` line and the `high` line filled down to it (Chart.js fill `'-1'`).
 */
export function ArmChart({ title, metric, series, arms, bucket }: ArmChartProps) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const scheme = useColorScheme();

  useEffect(() => {
    const buckets = [...new Set(series.map((p) => p.bucket))].sort();
    const points = new Map(series.map((p) => [`${p.arm}\n${p.bucket}`, p[metric]]));
    const at = (arm: string) => buckets.map((b) => points.get(`${arm}\n${b}`));
    const bands = new Set<number>();
    const datasets: ChartDataset<'line', (number | null)[]>[] = [];
    arms.forEach((arm, i) => {
      const colour = PALETTE[i % PALETTE.length]!;
      const values = at(arm);
      bands.add(datasets.length).add(datasets.length + 1);
      datasets.push(
        { label: `${arm} low`, data: values.map((p) => p?.low ?? null), borderWidth: 0, pointRadius: 0, pointHitRadius: 0, fill: false },
        {
          label: `${arm} 95% interval`,
          data: values.map((p) => p?.high ?? null),
          borderWidth: 0,
          pointRadius: 0,
          pointHitRadius: 0,
          backgroundColor: alpha(colour, 0.16),
          fill: '-1',
        },
        {
          label: arm,
          data: values.map((p) => p?.rate ?? null),
          borderColor: colour,
          backgroundColor: colour,
          borderWidth: 2,
          pointRadius: 2.5,
          tension: 0.2,
          fill: false,
        },
      );
    });
    const proportions = new Map<number, (Proportion | undefined)[]>();
    arms.forEach((arm, i) => proportions.set(i * 3 + 2, at(arm)));

    const css = getComputedStyle(document.documentElement);
    const text = css.getPropertyValue('--muted').trim() || '#666';
    const grid = css.getPropertyValue('--line').trim() || '#ddd';
    const chart = new Chart(canvas.current!, {
      type: 'line',
      data: { labels: buckets.map((b) => bucketLabel(b, bucket)), datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: 'index', intersect: false },
        color: text,
        scales: {
          x: { ticks: { color: text, maxRotation: 0, autoSkipPadding: 12 }, grid: { color: grid } },
          y: { min: 0, max: 1, ticks: { color: text, callback: (v) => pct(Number(v), 0) }, grid: { color: grid } },
        },
        plugins: {
          legend: { labels: { color: text, boxWidth: 12, filter: (item) => !bands.has(item.datasetIndex ?? -1) } },
          tooltip: {
            filter: (item) => !bands.has(item.datasetIndex),
            callbacks: {
              label: (item) => {
                const p = proportions.get(item.datasetIndex)?.[item.dataIndex];
                return p ? ` ${item.dataset.label}: ${pct(p.rate)} (${interval(p.low, p.high) || 'no interval'}, n=${p.n})` : '';
              },
            },
          },
        },
      },
    });
    return () => chart.destroy();
  }, [series, arms, metric, bucket, scheme]);

  const empty = !series.some((p) => p[metric].n > 0);
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <div className="chart-box">
        <canvas ref={canvas} role="img" aria-label={`${title} per arm over time, with 95% intervals`} />
        {empty && <p className="chart-empty">No data in this window yet.</p>}
      </div>
    </figure>
  );
}
