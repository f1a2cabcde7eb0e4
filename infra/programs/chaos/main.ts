/**
 * `make chaos ARGS="…"` (or `npx tsx infra/programs/chaos/main.ts …`): the chaos suite (docs/chaos.md).
 * Wiring only: read the command line, run, print the report, write the JSON and the benchmark
 * section if asked, and exit 0 only on a PASS.
 */
import { writeFile } from 'node:fs/promises';
import { appendToBenchmarks } from '../../../bench/benchmarks-doc.js';
import { helpText, parseChaosCommandLine, UsageError, type ParsedChaosCommandLine } from './options.js';
import { formatReport } from './report.js';
import { cleanUpInterruptedRun, runChaos } from './run.js';

let parsed: ParsedChaosCommandLine;
try {
  parsed = parseChaosCommandLine(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  process.stderr.write(`chaos: ${error.message}\nRun with --help for the options.\n`);
  process.exit(2);
}
if (parsed.help) {
  process.stdout.write(helpText);
  process.exit(0);
}
const { options, warnings } = parsed;
for (const warning of warnings) process.stderr.write(`chaos: note: ${warning}\n`);

const say = (line: string) => process.stdout.write(`[chaos] ${line}\n`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    say(`${signal}: putting back what the run changed (latency settings, a planted violation), then stopping without a verdict`);
    void cleanUpInterruptedRun().finally(() => process.exit(130));
  });
}
const report = await runChaos(options, say);
const text = formatReport(report);
process.stdout.write(`\n${text}\n`);
if (options.jsonFile) {
  await writeFile(options.jsonFile, `${JSON.stringify(report, null, 2)}\n`);
  say(`wrote ${options.jsonFile}`);
}
if (options.record) {
  appendToBenchmarks(
    '## Chaos runs',
    `### ${report.startedAt.slice(0, 16).replace('T', ' ')} UTC\n\nCommand: \`make chaos ARGS="${process.argv
      .slice(2)
      .filter((arg) => arg !== '--record')
      .join(' ')}"\`\n\n\`\`\`\n${text}\n\`\`\``,
    'Runs of `make chaos` (docs/chaos.md) on the dev estate: mixed load while every piece is killed with SIGKILL, one at a time, and reserve, authorize and schedule are slowed in turns; then the auditor over every accepted order.',
  );
  say('appended the summary to docs/benchmarks.md');
}
process.exit(report.verdict.ok ? 0 : 1);
