/**
 * The shop: the catalogue with what is in stock, a basket, the payment line (HTTP or the TCP 전문)
 * with a test card, and the shipping address. The test cards and the undeliverable postal code come
 * from platform/contracts/demo-triggers.ts, the one place that says what steers an order where.
 */
import { useEffect, useState } from 'preact/hooks';
import { testCards, undeliverablePostalCode } from '../../platform/contracts/demo-triggers.js';
import { ApiError, call, newTraceContext, type Session } from './api.js';
import { type Language, money, type Text } from './i18n.js';
import type { OrderRow } from './orders.js';

interface Product {
  sku: string;
  name: string;
  available: number;
  unitPriceMinor: number;
  currency: string;
}

export function Shop(props: { t: Text; language: Language; session: Session | undefined; onPlaced: (row: OrderRow) => void }) {
  const { t, language, session, onPlaced } = props;
  const [products, setProducts] = useState<Product[]>([]);
  const [basket, setBasket] = useState<Map<string, number>>(new Map());
  const [channel, setChannel] = useState<'http' | 'tcp'>('http');
  const [card, setCard] = useState(testCards[0]!.number);
  const [address, setAddress] = useState({ name: '김민준', line1: '세종대로 110', city: '서울', postalCode: '04524', country: 'KR' });
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const loadStock = () => {
    if (!session) return;
    call<{ items: Product[] }>(session, 'GET', '/inventory')
      .then((answer) => setProducts(answer.body.items))
      .catch((failure: Error) => setError(failure.message));
  };
  useEffect(loadStock, [session?.token]);

  if (!session) return <p>{t.signIn} ↑</p>;
  const lines = [...basket.entries()]
    .map(([sku, quantity]) => ({ product: products.find((p) => p.sku === sku)!, quantity }))
    .filter((line) => line.product);
  const total = lines.reduce((sum, line) => sum + line.product.unitPriceMinor * line.quantity, 0);
  const setQuantity = (sku: string, quantity: number) =>
    setBasket((current) => {
      const next = new Map(current);
      if (quantity <= 0) next.delete(sku);
      else next.set(sku, Math.min(quantity, 100));
      return next;
    });

  const place = async () => {
    setBusy(true);
    setError(undefined);
    const trace = newTraceContext();
    try {
      const answer = await call<{ orderId: string; status: string }>(
        session,
        'POST',
        '/orders',
        {
          items: lines.map((line) => ({ sku: line.product.sku, quantity: line.quantity })),
          payment: { channel, cardNumber: card },
          shippingAddress: address,
        },
        trace,
      );
      setBasket(new Map());
      onPlaced({
        orderId: answer.body.orderId,
        customerId: session.customerId,
        status: answer.body.status,
        acceptedAt: new Date().toISOString(),
        traceId: trace.traceId,
      });
      loadStock();
    } catch (failure) {
      const problem = failure instanceof ApiError ? failure.problem : undefined;
      setError(
        [problem?.detail ?? (failure as Error).message, ...(problem?.errors ?? []).map((e) => `${e.pointer}: ${e.detail}`)].join('; '),
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="shop">
      <section>
        <h2>{t.catalogue}</h2>
        <div class="catalogue-scroll">
          <table class="catalogue">
            <thead>
              <tr>
                <th>{t.sku}</th>
                <th>{t.product}</th>
                <th class="number">{t.price}</th>
                <th class="number">{t.inStock}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {products.map((product) => (
                <tr key={product.sku} data-sku={product.sku}>
                  <td>{product.sku}</td>
                  <td>{product.name}</td>
                  <td class="number">{money(language, product.unitPriceMinor, product.currency)}</td>
                  <td class={product.available === 0 ? 'number out' : 'number'} data-available={product.available}>
                    {product.available}
                  </td>
                  <td>
                    <button data-action="add" onClick={() => setQuantity(product.sku, (basket.get(product.sku) ?? 0) + 1)}>
                      {t.add}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
      <section class="checkout">
        <h2>{t.basket}</h2>
        {lines.length === 0 ? (
          <p>{t.basketEmpty}</p>
        ) : (
          <ul class="basket">
            {lines.map(({ product, quantity }) => (
              <li key={product.sku}>
                <span>{product.name}</span>
                <input
                  type="number"
                  min={1}
                  max={100}
                  aria-label={t.quantity}
                  value={quantity}
                  onInput={(event) => setQuantity(product.sku, Number(event.currentTarget.value))}
                />
                <button onClick={() => setQuantity(product.sku, 0)}>{t.remove}</button>
              </li>
            ))}
          </ul>
        )}
        <p class="total">
          {t.total}: <b>{money(language, total)}</b>
        </p>
        <h3>{t.payment}</h3>
        <div class="field">
          <span>{t.paymentLine}</span>
          {(['http', 'tcp'] as const).map((line) => (
            <label key={line}>
              <input type="radio" name="channel" value={line} checked={channel === line} onChange={() => setChannel(line)} />{' '}
              {line.toUpperCase()}
            </label>
          ))}
        </div>
        <label class="field">
          <span>{t.card}</span>
          <select data-field="card" value={card} onChange={(event) => setCard(event.currentTarget.value)}>
            {testCards.map((test) => (
              <option key={test.number} value={test.number}>
                {test.number} — {test.behaviour}
              </option>
            ))}
          </select>
        </label>
        <h3>{t.shipping}</h3>
        {(['name', 'line1', 'city', 'postalCode', 'country'] as const).map((field) => (
          <label class="field" key={field}>
            <span>{t[field]}</span>
            <input
              data-field={field}
              value={address[field]}
              title={
                field === 'postalCode' ? `${undeliverablePostalCode}: undeliverable (fulfillment fails, the saga compensates)` : undefined
              }
              onInput={(event) => setAddress({ ...address, [field]: event.currentTarget.value })}
            />
          </label>
        ))}
        <button class="primary" data-action="place-order" disabled={busy || lines.length === 0} onClick={() => void place()}>
          {t.placeOrder}
        </button>
        {error && (
          <p class="error" data-error>
            {error}
          </p>
        )}
      </section>
    </div>
  );
}
