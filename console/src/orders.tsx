/**
 * The orders: a list the live feed keeps current (gateway/live-orders.ts; no polling per row), and
 * the selected order's timeline: every transition with its time, each compensation as it runs, the
 * reason of a failure, the order's events as they arrived, a link to its workflow in the Temporal
 * Web UI and its trace id (a link when the gateway has TRACE_UI_URL). The timeline is read again
 * when an event of that order arrives, not on a timer.
 */
import { useEffect, useState } from 'preact/hooks';
import { call, type LiveOrderEvent, type Session } from './api.js';
import { type Language, time, type Text } from './i18n.js';
import type { Settings } from './main.js';

export interface OrderRow {
  orderId: string;
  customerId: string;
  status: string;
  acceptedAt: string;
  traceId?: string;
  reason?: string | null;
}

interface OrderView extends OrderRow {
  history: { status: string; at: string }[];
  reason: string | null;
  amountMinor: number | null;
}

/** The saga's live state (platform/contracts/workflow.ts, OrderState). */
interface SagaState {
  status: string;
  history: { status: string; at: string; reason?: string }[];
  failureReason?: string;
  compensating?: string;
  compensations?: { name: string; status: string; rounds?: number; lastError?: string }[];
}

const TERMINAL = new Set(['COMPLETED', 'REJECTED', 'PAYMENT_DECLINED', 'FAILED', 'CANCELLED']);

export function Orders(props: {
  t: Text;
  language: Language;
  session: Session | undefined;
  settings: Settings | undefined;
  orders: Map<string, OrderRow>;
  events: LiveOrderEvent[];
  selected: string | undefined;
  onSelect: (orderId: string) => void;
  onLoad: (customerId: string) => void;
}) {
  const { t, language, session, orders, selected } = props;
  const [customerId, setCustomerId] = useState('');
  if (!session) return <p>{t.signIn} ↑</p>;
  const rows = [...orders.values()].sort((a, b) => b.acceptedAt.localeCompare(a.acceptedAt));
  return (
    <div class="orders">
      <section class="order-list">
        {session.role === 'admin' && (
          <div class="field">
            <input placeholder={t.customerIdFilter} value={customerId} onInput={(event) => setCustomerId(event.currentTarget.value)} />
            <button onClick={() => props.onLoad(customerId)}>{t.load}</button>
          </div>
        )}
        {rows.length === 0 && <p>{t.noOrders}</p>}
        <table>
          <thead>
            <tr>
              <th>{t.order}</th>
              {session.role === 'admin' && <th>{t.customer}</th>}
              <th>{t.status}</th>
              <th>{t.accepted}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr
                key={row.orderId}
                data-order={row.orderId}
                class={row.orderId === selected ? 'selected' : ''}
                onClick={() => props.onSelect(row.orderId)}
              >
                <td class="mono">{row.orderId.slice(0, 8)}</td>
                {session.role === 'admin' && <td>{row.customerId}</td>}
                <td>
                  <span class={`status ${row.status}`} data-status={row.status}>
                    {row.status}
                  </span>
                </td>
                <td>{time(language, row.acceptedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section class="timeline">
        {selected ? (
          <Timeline
            {...props}
            orderId={selected}
            row={orders.get(selected)}
            session={session}
            events={props.events.filter((event) => event.orderId === selected)}
          />
        ) : (
          <p>{t.selectOrder}</p>
        )}
      </section>
    </div>
  );
}

function Timeline(props: {
  t: Text;
  language: Language;
  session: Session;
  settings: Settings | undefined;
  orderId: string;
  row: OrderRow | undefined;
  events: LiveOrderEvent[];
}) {
  const { t, language, session, settings, orderId, row, events } = props;
  const [order, setOrder] = useState<OrderView>();
  const [saga, setSaga] = useState<SagaState>();
  const [error, setError] = useState<string>();
  const [cancelled, setCancelled] = useState(false);
  // The compensations' progress lives in the workflow, and the last of them may finish after the last
  // event this timeline hears: while one is still running, the saga's state is read again each second.
  const [recheck, setRecheck] = useState(0);
  const undoing = Boolean(saga?.compensating) || (saga?.compensations?.some((compensation) => compensation.status !== 'done') ?? false);
  useEffect(() => {
    if (!undoing) return undefined;
    const timer = setTimeout(() => setRecheck((count) => count + 1), 1000);
    return () => clearTimeout(timer);
  }, [undoing, saga]);

  useEffect(() => {
    setError(undefined);
    call<OrderView>(session, 'GET', `/orders/${orderId}`)
      .then((answer) => setOrder(answer.body))
      .catch((failure: Error) => setError(failure.message));
    call<SagaState>(session, 'GET', `/orders/${orderId}/saga`)
      .then((answer) => setSaga(answer.body))
      .catch(() => setSaga(undefined));
  }, [orderId, events.length, row?.status, recheck]);

  const status = saga?.status ?? row?.status ?? order?.status ?? 'PENDING';
  const traceId = row?.traceId ?? events.find((event) => event.traceId)?.traceId;
  const reason = saga?.failureReason ?? order?.reason;
  const history = saga?.history ?? order?.history ?? [];
  const cancel = async () => {
    try {
      await call(session, 'POST', `/orders/${orderId}/cancel`, { reason: 'cancelled from the console' });
      setCancelled(true);
    } catch (failure) {
      setError((failure as Error).message);
    }
  };

  return (
    <div data-timeline={orderId}>
      <h2>
        {t.order} <span class="mono">{orderId}</span>
      </h2>
      <p>
        {t.status}:{' '}
        <span class={`status ${status}`} data-timeline-status={status}>
          {status}
        </span>
        {!TERMINAL.has(status) && (
          <button data-action="cancel" disabled={cancelled} onClick={() => void cancel()}>
            {cancelled ? t.cancelRequested : t.cancel}
          </button>
        )}
      </p>
      {reason && (
        <p class="reason" data-reason>
          {t.reason}: {reason}
        </p>
      )}
      <p class="links">
        {settings && (
          <a href={settings.workflowUrl.replace('{orderId}', orderId)} target="_blank" rel="noreferrer" data-link="workflow">
            {t.workflow} ↗
          </a>
        )}
        {traceId && (
          <span data-trace={traceId}>
            {t.trace}:{' '}
            {settings?.traceUiUrl ? (
              <a href={settings.traceUiUrl.replace('{traceId}', traceId)} target="_blank" rel="noreferrer" class="mono">
                {traceId}
              </a>
            ) : (
              <span class="mono">{traceId}</span>
            )}
          </span>
        )}
      </p>
      <h3>{t.timeline}</h3>
      <ol class="steps">
        {history.map((step, index) => (
          <li key={index} class={`status ${step.status}`}>
            <span class="when">{time(language, step.at)}</span> <b>{step.status}</b>
            {'reason' in step && step.reason ? <span> — {step.reason}</span> : null}
          </li>
        ))}
      </ol>
      {(saga?.compensations?.length ?? 0) > 0 && (
        <>
          <h3>{t.compensations}</h3>
          <ul class="compensations">
            {saga!.compensations!.map((compensation) => (
              <li key={compensation.name} data-compensation={compensation.name} class={compensation.status}>
                {compensation.name}: <b>{compensation.status}</b>
                {compensation.lastError ? ` — ${compensation.lastError}` : ''}
              </li>
            ))}
          </ul>
        </>
      )}
      {events.length > 0 && (
        <>
          <h3>{t.events}</h3>
          <ul class="events">
            {events.map((event) => (
              <li key={event.id} data-trace={event.traceId}>
                <span class="when">{time(language, event.time)}</span> <code>{event.type}</code>
              </li>
            ))}
          </ul>
        </>
      )}
      {error && <p class="error">{error}</p>}
    </div>
  );
}
