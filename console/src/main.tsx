/**
 * The web console (docs/console.md): a shop, the orders with their live timelines, and the
 * operator's controls, over the gateway's public API. One page, three tabs; the signed-in person
 * (a demo customer or an admin) decides what the API lets it show.
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { call, followLiveOrders, type LiveOrderEvent, saveSession, savedSession, type Session } from './api.js';
import { browserLanguage, texts } from './i18n.js';
import { Operations } from './operations.js';
import { Orders, type OrderRow } from './orders.js';
import { Shop } from './shop.js';
import { SignIn } from './sign-in.js';
import './style.css';

/** The gateway's runtime settings for the page (gateway/console.ts). */
export interface Settings {
  devLogin: boolean;
  workflowUrl: string;
  traceUiUrl: string;
}

type Tab = 'shop' | 'orders' | 'operations';

function App() {
  const language = browserLanguage();
  const t = texts[language];
  const [settings, setSettings] = useState<Settings>();
  const [session, setSession] = useState<Session | undefined>(savedSession());
  const [tab, setTab] = useState<Tab>('shop');
  const [orders, setOrders] = useState<Map<string, OrderRow>>(new Map());
  const [events, setEvents] = useState<LiveOrderEvent[]>([]);
  const [live, setLive] = useState(false);
  const [selected, setSelected] = useState<string>();

  useEffect(() => {
    document.documentElement.lang = language;
    document.title = t.title;
    void call<Settings>(undefined, 'GET', '/console/config.json').then((answer) => setSettings(answer.body));
  }, []);

  const upsert = (row: Partial<OrderRow> & { orderId: string }) =>
    setOrders((current) => {
      const next = new Map(current);
      next.set(row.orderId, {
        ...(current.get(row.orderId) ?? { customerId: '', status: 'PENDING', acceptedAt: new Date().toISOString() }),
        ...row,
      });
      return next;
    });

  // The customer's own orders, then the live feed keeps every row current (no polling per row).
  const loadOrders = async (customerId?: string) => {
    if (!session) return;
    if (session.role === 'admin' && !customerId) return;
    const query = customerId && session.role === 'admin' ? `?customerId=${encodeURIComponent(customerId)}` : '';
    const answer = await call<{ orders: OrderRow[] }>(session, 'GET', `/orders${query}`);
    for (const order of answer.body.orders) upsert(order);
  };

  useEffect(() => {
    setOrders(new Map());
    setEvents([]);
    setLive(false);
    if (!session) return;
    const stop = new AbortController();
    void followLiveOrders(
      session,
      {
        onReady: () => {
          setLive(true);
          void loadOrders().catch(() => undefined);
        },
        onEvent: (event) => {
          setEvents((current) => [...current.slice(-499), event]);
          upsert({
            orderId: event.orderId,
            customerId: event.customerId,
            ...(event.status ? { status: event.status } : {}),
            ...(event.traceId ? { traceId: event.traceId } : {}),
          });
        },
        onDown: () => setLive(false),
      },
      stop.signal,
    );
    return () => stop.abort();
  }, [session?.token]);

  const signIn = (next: Session | undefined) => {
    saveSession(next);
    setSession(next);
    setSelected(undefined);
    if (next?.role === 'admin') setTab('operations');
  };

  return (
    <div class="console">
      <header>
        <h1>{t.title}</h1>
        <nav>
          {(['shop', 'orders', 'operations'] as const).map((name) => (
            <button key={name} class={tab === name ? 'tab active' : 'tab'} data-tab={name} onClick={() => setTab(name)}>
              {t[name]}
            </button>
          ))}
        </nav>
        <SignIn t={t} settings={settings} session={session} onChange={signIn} />
        {session && (
          <span class={live ? 'live on' : 'live'} data-live={live ? 'on' : 'off'}>
            ● {live ? t.liveOn : t.liveOff}
          </span>
        )}
      </header>
      <main>
        {tab === 'shop' && (
          <Shop
            t={t}
            language={language}
            session={session}
            onPlaced={(row) => {
              upsert(row);
              setSelected(row.orderId);
              setTab('orders');
            }}
          />
        )}
        {tab === 'orders' && (
          <Orders
            t={t}
            language={language}
            session={session}
            settings={settings}
            orders={orders}
            events={events}
            selected={selected}
            onSelect={setSelected}
            onLoad={(customerId) => void loadOrders(customerId)}
          />
        )}
        {tab === 'operations' && <Operations t={t} language={language} session={session} />}
      </main>
    </div>
  );
}

render(<App />, document.getElementById('console')!);
