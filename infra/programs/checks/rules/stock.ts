/**
 * Stock counters against reservation lines (inventory's two tables). `products.reserved` is moved
 * by reserve and settle; the lines are written beside it. If a step moved one without the other
 * (a release that ran before its reserve, a double settle), the counter and the lines part ways,
 * and the database's conservation CHECK cannot see it: the sum still adds up.
 */
import { defineRule, type Violation } from '../model.js';

const rule = 'stock.countersMatchLines';

export const stockCountersMatchLines = defineRule({
  name: rule,
  holds:
    'per SKU, products.reserved equals the quantities of its RESERVED reservation lines, and products.shipped those of its SHIPPED lines',
  unit: 'SKUs',
  needs: ['stock'],
  check({ stock }) {
    const violations: Violation[] = [];
    for (const row of stock) {
      const sku = row.sku;
      if (row.reserved === null || row.shipped === null) {
        violations.push({
          rule,
          sku,
          settling: false,
          message: `SKU ${sku}: reservation lines name it (${row.reservedInLines} reserved, ${row.shippedInLines} shipped) but no such product exists`,
        });
        continue;
      }
      if (row.reserved !== row.reservedInLines) {
        violations.push({
          rule,
          sku,
          settling: false,
          message: `SKU ${sku}: products.reserved is ${row.reserved}, its RESERVED lines sum to ${row.reservedInLines}`,
        });
      }
      if (row.shipped !== row.shippedInLines) {
        violations.push({
          rule,
          sku,
          settling: false,
          message: `SKU ${sku}: products.shipped is ${row.shipped}, its SHIPPED lines sum to ${row.shippedInLines}`,
        });
      }
    }
    return { checked: stock.length, violations };
  },
});
