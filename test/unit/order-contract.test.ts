/**
 * The order request contract (platform/contracts/order.ts) and the field pointers
 * platform/validation.ts reports for it.
 */
import test, { type ExecutionContext } from 'ava';
import { maskCardNumber, orderRequestSchema } from '../../platform/contracts/order.js';
import { fieldErrors } from '../../platform/validation.js';
import { validOrderBody } from '../support/fixtures.js';

type Body = ReturnType<typeof validOrderBody>;

/** Parses `body`, expects it to be refused, and returns the JSON pointers of the field errors. */
function refusedPointers(t: ExecutionContext, body: unknown): string[] {
  const result = orderRequestSchema.safeParse(body);
  if (result.success) {
    t.fail(`expected ${JSON.stringify(body)} to be refused`);
    return [];
  }
  return fieldErrors(result.error).map((entry) => entry.pointer);
}

function withChange(change: (body: Body & Record<string, unknown>) => void): unknown {
  const body = validOrderBody() as Body & Record<string, unknown>;
  change(body);
  return body;
}

test('a valid order is accepted unchanged', (t) => {
  const body = validOrderBody({
    items: [
      { sku: 'KB-001', quantity: 1 },
      { sku: 'MS-002', quantity: 100 },
    ],
  });
  const result = orderRequestSchema.safeParse(body);
  if (!result.success) return t.fail(JSON.stringify(fieldErrors(result.error)));
  t.deepEqual(result.data, body);
});

test('spaces and dashes in the card number are stripped', (t) => {
  for (const cardNumber of ['4242 4242 4242 4242', '4242-4242-4242-4242', ' 4242-4242 4242\t4242 ']) {
    const body = withChange((b) => (b.payment.cardNumber = cardNumber));
    t.is(orderRequestSchema.parse(body).payment.cardNumber, '4242424242424242', cardNumber);
  }
});

test('a card number that is not 12 to 19 digits is refused at /payment/cardNumber', (t) => {
  for (const cardNumber of ['4242', '4242 4242 4242 4242 4242', '4242x4242x4242x4242', '']) {
    t.deepEqual(
      refusedPointers(
        t,
        withChange((b) => (b.payment.cardNumber = cardNumber)),
      ),
      ['/payment/cardNumber'],
      cardNumber,
    );
  }
});

for (const [field, pointer] of [
  ['customerId', '/customerId'],
  ['items', '/items'],
  ['payment', '/payment'],
  ['shippingAddress', '/shippingAddress'],
] as const) {
  test(`a missing ${field} is refused at ${pointer}`, (t) => {
    t.deepEqual(
      refusedPointers(
        t,
        withChange((b) => delete (b as Record<string, unknown>)[field]),
      ),
      [pointer],
    );
  });
}

test('missing nested fields are refused at their own pointers', (t) => {
  t.deepEqual(
    refusedPointers(
      t,
      withChange((b) => delete (b.shippingAddress as Partial<Body['shippingAddress']>).postalCode),
    ),
    ['/shippingAddress/postalCode'],
  );
  t.deepEqual(
    refusedPointers(
      t,
      withChange((b) => delete (b.payment as Partial<Body['payment']>).channel),
    ),
    ['/payment/channel'],
  );
  t.deepEqual(
    refusedPointers(
      t,
      withChange((b) => delete (b.items[0] as Partial<Body['items'][number]>).quantity),
    ),
    ['/items/0/quantity'],
  );
});

test('an unknown field is refused with a pointer to that field', (t) => {
  t.deepEqual(
    refusedPointers(
      t,
      withChange((b) => (b.coupon = 'FREE')),
    ),
    ['/coupon'],
  );
  t.deepEqual(
    refusedPointers(
      t,
      withChange((b) => ((b.items[0] as Record<string, unknown>).price = 1)),
    ),
    ['/items/0/price'],
  );
  t.deepEqual(
    refusedPointers(
      t,
      withChange((b) => ((b.payment as Record<string, unknown>).cvc = '123')),
    ),
    ['/payment/cvc'],
  );
  const result = orderRequestSchema.safeParse(withChange((b) => (b.coupon = 'FREE')));
  t.regex(fieldErrors(result.error!)[0]!.detail, /unknown field.*coupon/);
});

test('fields of the wrong type are refused at their pointers', (t) => {
  t.deepEqual(
    refusedPointers(
      t,
      withChange((b) => ((b.items[0] as Record<string, unknown>).quantity = '2')),
    ),
    ['/items/0/quantity'],
  );
  t.deepEqual(
    refusedPointers(
      t,
      withChange((b) => ((b as Record<string, unknown>).customerId = 42)),
    ),
    ['/customerId'],
  );
  t.deepEqual(
    refusedPointers(
      t,
      withChange((b) => ((b as Record<string, unknown>).items = { sku: 'KB-001', quantity: 1 })),
    ),
    ['/items'],
  );
  t.deepEqual(
    refusedPointers(
      t,
      withChange((b) => ((b.payment as Record<string, unknown>).channel = 'fax')),
    ),
    ['/payment/channel'],
  );
  t.deepEqual(
    refusedPointers(
      t,
      withChange((b) => ((b.items[0] as Record<string, unknown>).quantity = 1.5)),
    ),
    ['/items/0/quantity'],
  );
});

test('zero, negative and excessive quantities are refused at /items/N/quantity', (t) => {
  for (const quantity of [0, -1, -100, 101]) {
    const body = validOrderBody({
      items: [
        { sku: 'KB-001', quantity: 1 },
        { sku: 'MS-002', quantity },
      ],
    });
    t.deepEqual(refusedPointers(t, body), ['/items/1/quantity'], String(quantity));
  }
});

test('a SKU that does not match the catalogue pattern is refused at /items/N/sku', (t) => {
  for (const sku of ['kb-001', 'K', '-KB', 'KB_001', `K${'X'.repeat(32)}`]) {
    t.deepEqual(refusedPointers(t, validOrderBody({ items: [{ sku, quantity: 1 }] })), ['/items/0/sku'], sku);
  }
});

test('an empty order and a repeated SKU are refused at /items', (t) => {
  t.deepEqual(refusedPointers(t, validOrderBody({ items: [] })), ['/items']);
  const duplicate = validOrderBody({
    items: [
      { sku: 'KB-001', quantity: 1 },
      { sku: 'KB-001', quantity: 2 },
    ],
  });
  t.deepEqual(refusedPointers(t, duplicate), ['/items']);
  const result = orderRequestSchema.safeParse(duplicate);
  t.is(fieldErrors(result.error!)[0]!.detail, 'each SKU may appear only once');
});

test('a country that is not an ISO alpha-2 code is refused at /shippingAddress/country', (t) => {
  for (const country of ['kr', 'KOR', 'K', '', '12']) {
    t.deepEqual(
      refusedPointers(
        t,
        withChange((b) => (b.shippingAddress.country = country)),
      ),
      ['/shippingAddress/country'],
      country,
    );
  }
});

test('every problem in a request is reported, each at its own pointer', (t) => {
  const body = withChange((b) => {
    b.customerId = '';
    b.items[0]!.quantity = 0;
    b.shippingAddress.country = 'korea';
    (b as Record<string, unknown>).extra = true;
  });
  t.deepEqual(refusedPointers(t, body).sort(), ['/customerId', '/extra', '/items/0/quantity', '/shippingAddress/country']);
});

test('pointers escape ~ and / in field names (RFC 6901)', (t) => {
  t.deepEqual(
    refusedPointers(
      t,
      withChange((b) => (b['a/b~c'] = 1)),
    ),
    ['/a~1b~0c'],
  );
});

test('maskCardNumber keeps only the last four digits', (t) => {
  t.is(maskCardNumber('4242424242424242'), '************4242');
  t.is(maskCardNumber('123'), '123');
});
