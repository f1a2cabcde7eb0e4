/**
 * Small SVG charts for the KPIs, drawn by hand: a charting library would be most of the bundle
 * budget for three pictures. Lines over time (orders by status, sampled by the page) and bars.
 */
const PALETTE = ['#2563eb', '#16a34a', '#dc2626', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#4b5563', '#65a30d'];

export function LineChart(props: { series: { name: string; points: number[] }[]; width?: number; height?: number }) {
  const { series, width = 420, height = 160 } = props;
  const longest = Math.max(2, ...series.map((line) => line.points.length));
  const top = Math.max(1, ...series.flatMap((line) => line.points));
  const x = (index: number) => 30 + (index * (width - 40)) / (longest - 1);
  const y = (value: number) => height - 20 - (value * (height - 30)) / top;
  return (
    <figure class="chart">
      <svg width={width} height={height} role="img">
        <line x1={30} y1={height - 20} x2={width - 10} y2={height - 20} class="axis" />
        <text x={2} y={y(top) + 4} class="tick">
          {top}
        </text>
        <text x={2} y={height - 16} class="tick">
          0
        </text>
        {series.map((line, index) => (
          <polyline
            key={line.name}
            fill="none"
            stroke={PALETTE[index % PALETTE.length]}
            stroke-width={2}
            points={line.points.map((value, at) => `${x(at + longest - line.points.length)},${y(value)}`).join(' ')}
          />
        ))}
      </svg>
      <figcaption>
        {series.map((line, index) => (
          <span key={line.name} class="legend">
            <i style={{ background: PALETTE[index % PALETTE.length] }} /> {line.name} {line.points.at(-1) ?? 0}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}

export function BarChart(props: { bars: { name: string; value: number; label: string }[]; max?: number; width?: number }) {
  const { bars, width = 420 } = props;
  const max = props.max ?? Math.max(1, ...bars.map((bar) => bar.value));
  return (
    <figure class="chart">
      <svg width={width} height={bars.length * 26 + 6} role="img">
        {bars.map((bar, index) => (
          <g key={bar.name} transform={`translate(0, ${index * 26 + 4})`}>
            <text x={0} y={15} class="tick">
              {bar.name}
            </text>
            <rect x={60} y={2} height={18} width={Math.max(1, (bar.value / max) * (width - 150))} fill={PALETTE[index % PALETTE.length]} />
            <text x={66 + Math.max(1, (bar.value / max) * (width - 150))} y={15} class="tick">
              {bar.label}
            </text>
          </g>
        ))}
      </svg>
    </figure>
  );
}
