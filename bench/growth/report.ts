// The growth benchmark's outputs: a Markdown table per backend and a hand-written log-log SVG chart
// (one panel per backend; x = runs in the store, y = p50 ms; ours solid, MLflow dashed).
import { fmt } from '../shared/writes.ts';

/** One measured (or unfinished) cell. */
export interface Cell {
  backend: string;
  size: number;
  /** Measured after `--metric-rows` grew the metrics table to about this many rows (a column of its own, not charted). */
  metricRows?: number;
  /** `--variant`: a column of its own for the same size measured another way (e.g. with the metric-order index). */
  variant?: string;
  side: 'ours' | 'mlflow';
  op: string;
  /** p50 in ms; absent (or null in files of older runs) = did not finish (skipped, killed, over the limit). */
  p50Ms?: number | null;
  timesMs?: number[];
  returned?: number;
  pages?: number;
  note?: string;
}

const sizeLabel = (n: number) => (n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n));

/** Cells of one table column: the same runs in the store, `--metric-rows` stage and `--variant`. */
type Column = Pick<Cell, 'size' | 'metricRows' | 'variant'>;
export const sameColumn = (a: Column, b: Column) => a.size === b.size && (a.metricRows ?? 0) === (b.metricRows ?? 0) && (a.variant ?? '') === (b.variant ?? '');

/** A Markdown table of one backend: an operation per row, for each size ours, MLflow and MLflow ÷ ours. */
export function markdownTable(cells: readonly Cell[], backend: string, ops: readonly string[]): string {
  const mine = cells.filter((c) => c.backend === backend);
  const columns = [...new Map(mine.map((c) => [`${c.size}/${c.metricRows ?? 0}/${c.variant ?? ''}`, { size: c.size, metricRows: c.metricRows, variant: c.variant }])).values()].sort(
    (a, b) => a.size - b.size || (a.metricRows ?? 0) - (b.metricRows ?? 0) || (a.variant ?? '').localeCompare(b.variant ?? ''),
  );
  const get = (op: string, col: Column, side: Cell['side']) => mine.find((c) => c.op === op && sameColumn(c, col) && c.side === side);
  const label = (col: Column) => `${col.metricRows ? `${sizeLabel(col.size)} + ${sizeLabel(col.metricRows)} metric rows` : sizeLabel(col.size)}${col.variant ? `, ${col.variant}` : ''}`;
  const head = ['operation (p50 ms)', ...columns.flatMap((c) => [`${label(c)} ours`, `${label(c)} MLflow`, `${label(c)} ×`])];
  const lines = [`| ${head.join(' | ')} |`, `| ${head.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`];
  for (const op of ops) {
    const row = [op];
    for (const s of columns) {
      const us = get(op, s, 'ours');
      const ml = get(op, s, 'mlflow');
      row.push(us?.p50Ms == null ? (us ? 'dnf' : '—') : fmt(us.p50Ms));
      row.push(ml?.p50Ms == null ? (ml ? 'dnf' : '—') : fmt(ml.p50Ms));
      row.push(us?.p50Ms != null && ml?.p50Ms != null ? `${fmt(ml.p50Ms / us.p50Ms)}×` : '—');
    }
    lines.push(`| ${row.join(' | ')} |`);
  }
  return lines.join('\n');
}

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#17becf', '#e377c2'];
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * A log-log line chart per backend, side by side: p50 ms against runs in the store, one colour per
 * operation, ours solid and MLflow dashed, a dotted line at `goalMs`.
 */
export function svgChart(cells: readonly Cell[], backends: readonly string[], ops: readonly string[], goalMs: number, title: string): string {
  const W = 520;
  const H = 400;
  const m = { l: 64, r: 16, t: 40, b: 48 };
  const legendH = 22 * Math.ceil((ops.length + 2) / 3) + 10;
  const charted = cells.filter((c) => !c.metricRows && !c.variant);
  const done = charted.filter((c) => c.p50Ms != null && c.p50Ms > 0);
  const sizes = [...new Set(charted.map((c) => c.size))].sort((a, b) => a - b);
  const ys = done.map((c) => c.p50Ms as number).concat(goalMs);
  const x0 = Math.log10(Math.min(...sizes)) - 0.15;
  const x1 = Math.log10(Math.max(...sizes)) + 0.15;
  const y0 = Math.floor(Math.log10(Math.min(...ys)));
  const y1 = Math.ceil(Math.log10(Math.max(...ys)));
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const X = (n: number) => m.l + ((Math.log10(n) - x0) / (x1 - x0)) * pw;
  const Y = (ms: number) => m.t + (1 - (Math.log10(ms) - y0) / (y1 - y0)) * ph;
  const out: string[] = [];
  const width = W * backends.length;
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${H + legendH + 24}" viewBox="0 0 ${width} ${H + legendH + 24}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="100%" height="100%" fill="white"/>`);
  out.push(`<text x="${width / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`);
  backends.forEach((backend, b) => {
    out.push(`<g transform="translate(${b * W},12)">`);
    out.push(`<text x="${m.l + pw / 2}" y="${m.t - 10}" text-anchor="middle" font-weight="bold">${esc(backend)}</text>`);
    out.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
    for (let e = y0; e <= y1; e++) {
      const y = Y(10 ** e);
      out.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${y}" y2="${y}" stroke="#ddd"/>`);
      out.push(`<text x="${m.l - 6}" y="${y + 4}" text-anchor="end">${fmt(10 ** e)}</text>`);
    }
    for (const s of sizes) {
      const x = X(s);
      out.push(`<line x1="${x}" x2="${x}" y1="${m.t}" y2="${m.t + ph}" stroke="#eee"/>`);
      out.push(`<text x="${x}" y="${m.t + ph + 16}" text-anchor="middle">${sizeLabel(s)}</text>`);
    }
    out.push(`<text x="${m.l + pw / 2}" y="${m.t + ph + 36}" text-anchor="middle">runs in the store (log)</text>`);
    out.push(`<text transform="translate(16,${m.t + ph / 2}) rotate(-90)" text-anchor="middle">p50 ms per call (log)</text>`);
    const gy = Y(goalMs);
    out.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${gy}" y2="${gy}" stroke="#000" stroke-dasharray="1,3"/>`);
    out.push(`<text x="${m.l + pw - 4}" y="${gy - 4}" text-anchor="end" fill="#555">${goalMs} ms goal</text>`);
    ops.forEach((op, i) => {
      for (const side of ['ours', 'mlflow'] as const) {
        const pts = done.filter((c) => c.backend === backend && c.op === op && c.side === side).sort((a, c) => a.size - c.size);
        if (pts.length === 0) continue;
        const colour = COLOURS[i % COLOURS.length]!;
        const dash = side === 'mlflow' ? ' stroke-dasharray="6,4"' : '';
        out.push(`<polyline fill="none" stroke="${colour}" stroke-width="2"${dash} points="${pts.map((p) => `${X(p.size).toFixed(1)},${Y(p.p50Ms as number).toFixed(1)}`).join(' ')}"/>`);
        for (const p of pts) {
          const [cx, cy] = [X(p.size).toFixed(1), Y(p.p50Ms as number).toFixed(1)];
          out.push(side === 'ours' ? `<circle cx="${cx}" cy="${cy}" r="3" fill="${colour}"/>` : `<circle cx="${cx}" cy="${cy}" r="3" fill="white" stroke="${colour}"/>`);
        }
      }
    });
    out.push('</g>');
  });
  // Legend: colours by operation, then the two line styles.
  const ly = H + 28;
  const items: string[] = [];
  ops.forEach((op, i) => items.push(`<line x1="0" x2="24" y1="0" y2="0" stroke="${COLOURS[i % COLOURS.length]}" stroke-width="3"/><text x="30" y="4">${esc(op)}</text>`));
  items.push(`<line x1="0" x2="24" y1="0" y2="0" stroke="#333" stroke-width="2"/><text x="30" y="4">mlstore (solid)</text>`);
  items.push(`<line x1="0" x2="24" y1="0" y2="0" stroke="#333" stroke-width="2" stroke-dasharray="6,4"/><text x="30" y="4">MLflow 3.18.0 (dashed)</text>`);
  const colW = width / 3;
  items.forEach((it, k) => out.push(`<g transform="translate(${20 + (k % 3) * colW},${ly + Math.floor(k / 3) * 22})">${it}</g>`));
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
