/**
 * Operations, for admins (gateway/operations.ts): the KPIs as charts (orders by status over time,
 * sampled from `/analytics/kpis` while the tab is open; the decline rate per payment line; saga
 * latency percentiles), the payment simulator's scenarios and the workers' fault switches as
 * sliders, stock with restock, and the dead-letter queue with its replay.
 */
import { useEffect, useState } from 'preact/hooks';
import { call, type Session } from './api.js';
import { BarChart, LineChart } from './charts.js';
import type { Language, Text } from './i18n.js';

interface Kpis {
  ordersByStatus: Record<string, number>;
  declineRateByChannel: { channel: string; authorized: number; declined: number; declineRate: number }[];
  endToEndLatencyMs: { completed: number; p50: number | null; p95: number | null; p99: number | null; max: number | null };
}
interface Scenario {
  latencyMs: number | object;
  errorRate: number;
  declineRate: number;
  timeoutRate: number;
}
interface Faults {
  faults: Record<string, { latencyMs: number; errorRate: number }>;
  activities: string[];
}
interface DeadLetter {
  position: string;
  reason: string;
  consumerGroup: string;
  sourceTopic: string;
  time: string;
  replayCount: number;
  eventType: string | null;
  orderId: string | null;
}

/** How often the KPI charts take a sample while the tab is open. */
const KPI_SAMPLE_MS = 3000;
const SAMPLES_KEPT = 60;

export function Operations(props: { t: Text; language: Language; session: Session | undefined }) {
  const { t, session } = props;
  if (session?.role !== 'admin') return <p>{t.adminOnly}</p>;
  return (
    <div class="operations">
      <KpiCharts t={t} session={session} />
      <ScenarioControls t={t} session={session} />
      <FaultSwitches t={t} session={session} />
      <StockTable t={t} session={session} />
      <DeadLetters t={t} session={session} />
    </div>
  );
}

function useError(): [string | undefined, (failure: unknown) => void, () => void] {
  const [error, setError] = useState<string>();
  return [error, (failure) => setError((failure as Error).message), () => setError(undefined)];
}

function KpiCharts({ t, session }: { t: Text; session: Session }) {
  const [samples, setSamples] = useState<Kpis[]>([]);
  const [error, fail] = useError();
  useEffect(() => {
    const sample = () =>
      call<Kpis>(session, 'GET', '/analytics/kpis')
        .then((answer) => setSamples((current) => [...current.slice(-(SAMPLES_KEPT - 1)), answer.body]))
        .catch(fail);
    void sample();
    const timer = setInterval(() => void sample(), KPI_SAMPLE_MS);
    return () => clearInterval(timer);
  }, []);
  const latest = samples.at(-1);
  const statuses = [...new Set(samples.flatMap((sample) => Object.keys(sample.ordersByStatus)))].sort();
  const latency = latest?.endToEndLatencyMs;
  return (
    <section class="kpis" data-section="kpis" data-samples={samples.length}>
      <h2>{t.kpis}</h2>
      <div class="charts">
        <div>
          <h3>{t.ordersByStatus}</h3>
          <LineChart
            series={statuses.map((status) => ({ name: status, points: samples.map((sample) => sample.ordersByStatus[status] ?? 0) }))}
          />
        </div>
        <div>
          <h3>{t.declineRate}</h3>
          <BarChart
            max={1}
            bars={(latest?.declineRateByChannel ?? []).map((line) => ({
              name: line.channel.toUpperCase(),
              value: line.declineRate,
              label: `${(line.declineRate * 100).toFixed(1)}% (${line.declined}/${line.authorized + line.declined})`,
            }))}
          />
        </div>
        <div>
          <h3>{t.latency}</h3>
          <BarChart
            bars={(['p50', 'p95', 'p99', 'max'] as const).map((name) => ({
              name,
              value: latency?.[name] ?? 0,
              label: latency?.[name] == null ? '–' : `${latency[name]} ms`,
            }))}
          />
        </div>
      </div>
      {error && <p class="error">{error}</p>}
    </section>
  );
}

function ScenarioControls({ t, session }: { t: Text; session: Session }) {
  const [scenarios, setScenarios] = useState<Record<string, Scenario>>();
  const [error, fail, clear] = useError();
  const load = () =>
    call<Record<string, Scenario>>(session, 'GET', '/operations/payment-scenarios').then((answer) => setScenarios(answer.body), fail);
  useEffect(() => void load(), []);
  const set = async (channel: string, change: Partial<Scenario>) => {
    clear();
    try {
      const current = scenarios?.[channel];
      const next = { ...current, ...change };
      await call(session, 'PUT', `/operations/payment-scenarios/${channel}`, next);
      await load();
    } catch (failure) {
      fail(failure);
    }
  };
  return (
    <section data-section="scenarios">
      <h2>{t.scenarios}</h2>
      {scenarios &&
        Object.entries(scenarios).map(([channel, scenario]) => (
          <div class="scenario" key={channel} data-channel={channel}>
            <b>{channel.toUpperCase()}</b>
            {(
              [
                ['declineRate', t.declineRateLabel],
                ['errorRate', t.errorRate],
              ] as const
            ).map(([field, label]) => (
              <label key={field} class="slider">
                {label}
                <input
                  type="range"
                  min={0}
                  max={100}
                  step={5}
                  data-field={field}
                  value={Math.round(scenario[field] * 100)}
                  onChange={(event) => void set(channel, { [field]: Number(event.currentTarget.value) / 100 })}
                />
                <output data-value={field}>{Math.round(scenario[field] * 100)}%</output>
              </label>
            ))}
            <label class="slider">
              {t.latencyMs}
              <input
                type="number"
                min={0}
                max={10000}
                step={50}
                value={typeof scenario.latencyMs === 'number' ? scenario.latencyMs : 0}
                onChange={(event) => void set(channel, { latencyMs: Number(event.currentTarget.value) })}
              />
            </label>
          </div>
        ))}
      <button data-action="reset-scenarios" onClick={() => void call(session, 'DELETE', '/operations/payment-scenarios').then(load, fail)}>
        {t.resetScenarios}
      </button>
      {error && <p class="error">{error}</p>}
    </section>
  );
}

function FaultSwitches({ t, session }: { t: Text; session: Session }) {
  const services = ['inventory', 'fulfillment'] as const;
  const [faults, setFaults] = useState<Record<string, Faults>>({});
  const [error, fail] = useError();
  const load = (service: string) =>
    call<Faults>(session, 'GET', `/operations/faults/${service}`).then(
      (answer) => setFaults((current) => ({ ...current, [service]: answer.body })),
      fail,
    );
  useEffect(() => services.forEach((service) => void load(service)), []);
  const set = (service: string, activity: string, change: { latencyMs?: number; errorRate?: number }) => {
    const current = faults[service]?.faults ?? {};
    const next = { ...current, [activity]: { ...current[activity], ...change } };
    void call(session, 'PUT', `/operations/faults/${service}`, next).then(() => load(service), fail);
  };
  return (
    <section data-section="faults">
      <h2>{t.faults}</h2>
      {services.map((service) => (
        <div key={service} class="faults">
          <h3>
            {service}{' '}
            <button onClick={() => void call(session, 'DELETE', `/operations/faults/${service}`).then(() => load(service), fail)}>
              {t.clearFaults}
            </button>
          </h3>
          {(faults[service]?.activities ?? []).map((activity) => {
            const fault = faults[service]?.faults[activity];
            return (
              <div key={activity} class="fault" data-activity={activity} data-latency={fault?.latencyMs ?? 0}>
                <code>{activity}</code>
                <label class="slider">
                  {t.faultLatency}
                  <input
                    type="number"
                    min={0}
                    max={120000}
                    step={100}
                    value={fault?.latencyMs ?? 0}
                    onChange={(event) => set(service, activity, { latencyMs: Number(event.currentTarget.value) })}
                  />
                </label>
                <label class="slider">
                  {t.faultErrors}
                  <input
                    type="range"
                    min={0}
                    max={100}
                    step={5}
                    value={Math.round((fault?.errorRate ?? 0) * 100)}
                    onChange={(event) => set(service, activity, { errorRate: Number(event.currentTarget.value) / 100 })}
                  />
                  <output>{Math.round((fault?.errorRate ?? 0) * 100)}%</output>
                </label>
              </div>
            );
          })}
        </div>
      ))}
      {error && <p class="error">{error}</p>}
    </section>
  );
}

function StockTable({ t, session }: { t: Text; session: Session }) {
  const [items, setItems] = useState<{ sku: string; name: string; available: number }[]>([]);
  const [amounts, setAmounts] = useState<Record<string, number>>({});
  const [error, fail] = useError();
  const load = () => call<{ items: typeof items }>(session, 'GET', '/inventory').then((answer) => setItems(answer.body.items), fail);
  useEffect(() => void load(), []);
  return (
    <section data-section="stock">
      <h2>{t.stock}</h2>
      <div class="stock-table">
        <table>
          <tbody>
            {items.map((item) => (
              <tr key={item.sku} data-stock={item.sku}>
                <td>{item.sku}</td>
                <td>{item.name}</td>
                <td class={item.available === 0 ? 'number out' : 'number'}>{item.available}</td>
                <td>
                  <input
                    type="number"
                    min={1}
                    value={amounts[item.sku] ?? 10}
                    onInput={(event) => setAmounts({ ...amounts, [item.sku]: Number(event.currentTarget.value) })}
                  />
                  <button
                    data-action="restock"
                    onClick={() =>
                      void call(session, 'POST', `/operations/stock/${item.sku}/restock`, { quantity: amounts[item.sku] ?? 10 }).then(
                        load,
                        fail,
                      )
                    }
                  >
                    {t.restock}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {error && <p class="error">{error}</p>}
    </section>
  );
}

function DeadLetters({ t, session }: { t: Text; session: Session }) {
  const [letters, setLetters] = useState<DeadLetter[]>();
  const [note, setNote] = useState<string>();
  const [error, fail, clear] = useError();
  const load = () => {
    clear();
    return call<{ deadLetters: DeadLetter[] }>(session, 'GET', '/operations/dead-letters').then(
      (answer) => setLetters(answer.body.deadLetters),
      fail,
    );
  };
  useEffect(() => void load(), []);
  const replay = async () => {
    try {
      const answer = await call<{ replayed: unknown[]; skipped: unknown[] }>(session, 'POST', '/operations/dead-letters/replay', {
        dryRun: false,
      });
      setNote(`${answer.body.replayed.length} ${t.replayed}, ${answer.body.skipped.length} skipped`);
      await load();
    } catch (failure) {
      fail(failure);
    }
  };
  return (
    <section data-section="dead-letters">
      <h2>{t.deadLetters}</h2>
      <button onClick={() => void load()}>{t.refresh}</button>{' '}
      <button data-action="replay" onClick={() => void replay()} disabled={!letters?.length}>
        {t.replay}
      </button>
      {note && <span class="note"> {note}</span>}
      {letters && letters.length === 0 && <p>{t.noDeadLetters}</p>}
      {letters && letters.length > 0 && (
        <div class="dead-letters">
          <table>
            <tbody>
              {letters.slice(0, 50).map((letter) => (
                <tr key={letter.position}>
                  <td>{new Date(letter.time).toLocaleString()}</td>
                  <td>{letter.consumerGroup}</td>
                  <td>
                    <code>{letter.eventType ?? letter.sourceTopic}</code>
                  </td>
                  <td>{letter.reason}</td>
                  <td>×{letter.replayCount}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {error && <p class="error">{error}</p>}
    </section>
  );
}
