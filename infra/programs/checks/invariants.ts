/**
 * `make check`: audits a running estate by reconciling sources that different services wrote
 * (docs/saga.md, "Checking the invariants"); the rules are in ./rules/, the reading in
 * ./sources.ts, the waiting in ./auditor.ts. Also the programmatic entry the end-to-end tests use.
 *
 *   npx tsx infra/programs/checks/invariants.ts [--json] [--order ID]... [--sku SKU]... [--rule NAME]...
 *                                      [--grace S] [--deadline S] [--show N] [--list-rules] [ORDER_ID...]
 *
 * Exit status: 0 every invariant holds; 1 violations; 2 a service could not be read (or bad usage).
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { SKU_PATTERN } from '../../../platform/contracts/order.js';
import { audit, type AuditOptions, type AuditReport, DEFAULT_DEADLINE_MS, DEFAULT_GRACE_MS } from './auditor.js';
import { formatReport } from './report.js';
import { rules } from './rules/index.js';
import type { Endpoints } from './sources.js';

export { audit, type AuditOptions, type AuditReport } from './auditor.js';

export interface InvariantReport {
  ordersChecked: number;
  byStatus: Record<string, number>;
  /** Every violation and every error, one line each: empty when all holds. */
  violations: string[];
  report: AuditReport;
}

/** Every finding as one line: `<rule>: <message>`, and `<rule>: ERROR <why>` for a rule that could not run. */
export function findings(report: AuditReport): string[] {
  return report.rules.flatMap((result) => [
    ...(result.error ? [`${result.rule}: ERROR ${result.error}`] : []),
    ...result.violations.map((violation) => `${result.rule}: ${violation.message}`),
  ]);
}

/** Audits the given orders (already submitted) and the SKUs they name, waiting for their sagas and the consumers. */
export async function checkInvariants(
  orderIds: string[],
  options: { deadlineMs?: number; graceMs?: number; endpoints?: Endpoints } = {},
): Promise<InvariantReport> {
  const report = await audit({ scope: { orderIds }, ...options });
  return { ordersChecked: report.orders, byStatus: report.byStatus, violations: findings(report), report };
}

const usage = `usage: make check [CHECK_FLAGS="..."]  or  npx tsx infra/programs/checks/invariants.ts [flags] [ORDER_ID...]
  (no order or SKU named: the whole estate, every order, page by page)
  --order ID     audit only this order (repeatable; bare ORDER_IDs too)
  --sku SKU      audit only this SKU's counters (repeatable)
  --rule NAME    run only this rule, or the rules whose name starts with NAME (repeatable)
  --grace S      a non-terminal order older than S seconds is a violation (default ${DEFAULT_GRACE_MS / 1000})
  --deadline S   keep looking for up to S seconds while findings may still settle (default ${DEFAULT_DEADLINE_MS / 1000})
  --show N       findings shown per rule (default 5)
  --json         the full report as JSON on stdout
  --list-rules   the rules and what each requires
exit status: 0 all holds, 1 violations, 2 a service could not be read or bad usage`;

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        json: { type: 'boolean', default: false },
        order: { type: 'string', multiple: true },
        sku: { type: 'string', multiple: true },
        rule: { type: 'string', multiple: true },
        grace: { type: 'string' },
        deadline: { type: 'string' },
        show: { type: 'string' },
        'list-rules': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    console.error(`${(error as Error).message}\n${usage}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(usage);
    return 0;
  }
  if (values['list-rules']) {
    for (const rule of rules) console.log(`${rule.name}\n    ${rule.holds}`);
    return 0;
  }
  const seconds = (name: string, raw: string | undefined, fallback: number): number => {
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} takes a number of seconds, got ${raw}`);
    return value * 1000;
  };
  let options: AuditOptions;
  try {
    const orderIds = [...(values.order ?? []), ...positionals];
    const badIds = orderIds.filter((id) => !z.uuid().safeParse(id).success);
    if (badIds.length > 0) throw new Error(`not an order id (a UUID): ${badIds.join(', ')}`);
    const badSkus = (values.sku ?? []).filter((sku) => !SKU_PATTERN.test(sku));
    if (badSkus.length > 0) throw new Error(`not a SKU: ${badSkus.join(', ')}`);
    options = {
      scope:
        orderIds.length > 0 || values.sku
          ? { ...(orderIds.length > 0 && { orderIds }), ...(values.sku && { skus: values.sku }) }
          : undefined,
      rules: values.rule,
      graceMs: seconds('grace', values.grace, DEFAULT_GRACE_MS),
      deadlineMs: seconds('deadline', values.deadline, DEFAULT_DEADLINE_MS),
      onRetry: ({ attempt, settling, errors, remainingMs }) =>
        console.error(
          `[check] look ${attempt}: ${settling} finding(s) may still settle${errors.length ? `, ${errors.length} service(s) not answering (${errors.join('; ')})` : ''}; looking again (${Math.ceil(remainingMs / 1000)} s left)`,
        ),
    };
    const show = values.show === undefined ? 5 : Number(values.show);
    if (!Number.isInteger(show) || show < 0) throw new Error(`--show takes a whole number, got ${values.show}`);
    const report = await audit(options);
    if (values.json) console.log(JSON.stringify(report, null, 2));
    else console.log(formatReport(report, show));
    return report.errors.length > 0 || report.rules.some((result) => result.error) ? 2 : report.ok ? 0 : 1;
  } catch (error) {
    console.error(`[check] ${(error as Error).message}\n${usage}`);
    return 2;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await main(process.argv.slice(2));
}
