/**
 * The SKUs the gateway has lately found in the catalogue, so an order for products it knows is not
 * checked against the inventory service again on every submission: that check was the first of the
 * accept path's three serial hops (issue 15, docs/benchmarks.md "Cost per order"), an HTTP call and a
 * database query per order for an answer that almost never changes. Products are added or restocked
 * (the inventory admin API's PUT) and never removed, so a SKU once in the catalogue stays there; it
 * is still only remembered for a while, and a SKU not remembered is always asked about, so a product
 * added a moment ago is accepted at once and nothing unknown gets through. The saga's reservation is
 * the real check of every order's stock either way.
 */
export class KnownSkus {
  private readonly seenAt = new Map<string, number>();

  constructor(
    // Ten minutes, not one: the catalogue only grows, and with a minute every SKU was asked about
    // again every minute, a third of the accepts at 2 orders/s in the benchmark (docs/benchmarks.md).
    private readonly rememberForMs = 600_000,
    private readonly maxRemembered = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Those of `skus` that must be asked about: not seen in the catalogue within `rememberForMs`. */
  notKnown(skus: readonly string[]): string[] {
    const oldest = this.now() - this.rememberForMs;
    return [...new Set(skus)].filter((sku) => (this.seenAt.get(sku) ?? -Infinity) < oldest);
  }

  /** The catalogue answered with these SKUs just now. */
  remember(skus: Iterable<string>): void {
    const at = this.now();
    for (const sku of skus) {
      this.seenAt.delete(sku);
      this.seenAt.set(sku, at);
    }
    // Oldest first in a Map's order: drop from the front past the bound.
    for (const sku of this.seenAt.keys()) {
      if (this.seenAt.size <= this.maxRemembered) break;
      this.seenAt.delete(sku);
    }
  }
}
