/** The auditor's report as a person reads it: one line per rule, the first few findings under it. */
import type { AuditReport } from './auditor.js';

export function formatReport(report: AuditReport, maxShown = 5): string {
  const lines: string[] = [];
  const scope = report.scope.wholeEstate
    ? 'the whole estate'
    : [
        report.scope.orderIds !== undefined && `${report.scope.orderIds} named orders`,
        report.scope.skus !== undefined && `${report.scope.skus} named SKUs`,
      ]
        .filter(Boolean)
        .join(' and ');
  lines.push(
    `[check] audited ${scope}: ${report.orders} orders ${JSON.stringify(report.byStatus)}; ` +
      `${report.attempts} look(s) in ${(report.durationMs / 1000).toFixed(1)} s, grace period ${report.graceMs / 1000} s`,
  );
  const width = Math.max(...report.rules.map((result) => result.rule.length));
  for (const result of report.rules) {
    const name = result.rule.padEnd(width);
    if (result.error) {
      lines.push(`  ERROR  ${name}  not checked: ${result.error}`);
      continue;
    }
    if (result.skipped) {
      lines.push(`  skip   ${name}  ${result.skipped}`);
      continue;
    }
    const count = result.violations.length;
    lines.push(
      `  ${count === 0 ? 'ok   ' : 'FAIL '}  ${name}  checked ${result.checked} ${result.unit}, ${count} violation${count === 1 ? '' : 's'}`,
    );
    for (const violation of result.violations.slice(0, maxShown)) lines.push(`           - ${violation.message}`);
    if (count > maxShown) lines.push(`           … and ${count - maxShown} more (--show N, or --json for all)`);
    for (const note of result.notes) lines.push(`           note: ${note}`);
  }
  for (const error of report.errors) lines.push(`[check] ERROR ${error.source} could not be read: ${error.message}`);
  lines.push(
    report.ok
      ? '[check] every invariant holds'
      : `[check] FAILED: ${report.violationCount} violation(s), ${report.rules.filter((result) => result.error).length} rule(s) not checked because a service did not answer`,
  );
  return lines.join('\n');
}
