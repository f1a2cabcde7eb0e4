/**
 * The chaos suite's command line. Every number is bounded by a hard cap no flag lifts, and the
 * target must be this machine: a chaos run kills processes by their pidfiles in this checkout and
 * loads the gateway on the loopback interface, nothing else.
 */
import { z } from 'zod';
import { DEFAULT_BASE_URL, checkTarget, hardCap, parseFlags, UsageError } from '../../../loadgen/options.js';
import { parseMix, MixError } from '../../../loadgen/mix.js';
import { allTargets, isTarget, type Target } from './estate.js';

export { UsageError };

export const hardCaps = {
  durationSeconds: 3_600,
  ratePerSecond: 20,
  maxKills: 100,
  settleSeconds: 1_800,
  recoverSeconds: 600,
  latencyMs: 10_000,
} as const;

/** Cancels are a fifth of the load and may come up to 2.5 s late: most land while a slowed step runs. */
export const CHAOS_MIX = 'happy=55,decline=10,insufficient=5,out-of-stock=5,undeliverable=5,cancel=20';

export const helpText = `ordersaga chaos suite: mixed load while pieces of the estate are killed and steps are slowed,
then the auditor over every accepted order (docs/chaos.md).

Usage: make chaos ARGS="[options]"    or    npx tsx infra/programs/chaos/main.ts [options]

  --duration <s>         load and faults for s seconds (default 300, cap ${hardCaps.durationSeconds})
  --rate <n>             orders per second, open model (default 2, cap ${hardCaps.ratePerSecond})
  --seed <n>             replay the same orders, kill order and pauses (default: random)
  --targets <a,b,…>      what to kill (default all ten: ${allTargets.join(',')}); "none" for no kills
  --max-kills <n>        most kills in the run; each target is killed once first (default 2 per target, cap ${hardCaps.maxKills})
  --no-latency           no latency windows (default: slow reserve, authorize and schedule in turns)
  --latency-ms <ms>      added delay of a slowed step, plus up to as much again (default 1500, cap ${hardCaps.latencyMs})
  --mix <spec>           the load's scenario weights (default ${CHAOS_MIX})
  --cancel-delay <ms>    cancels come up to this long after acceptance (default 2500)
  --recover-deadline <s> a fault not recovered by then counts as unrecovered (default 180, cap ${hardCaps.recoverSeconds})
  --settle <s>           after the load, wait this long for every accepted order to be terminal (default 300, cap ${hardCaps.settleSeconds})
  --plant-violation      release one completed order's reservation behind the saga's back (inventory's
                         database) before the audit, and put it back after: the run must then FAIL
  --record               append the summary to docs/benchmarks.md
  --json <file>          also write the report as JSON
  --url <url>            the gateway (default $GATEWAY_URL or ${DEFAULT_BASE_URL}); loopback only
  -h, --help             this text

Exit status: 0 when the verdict is PASS; 1 when it is FAIL (violations, orders not terminal, a fault
not recovered, a target never killed); 2 for a usage error.
`;

const flagsSchema = z.object({
  duration: z.coerce.number().positive().default(300),
  rate: z.coerce.number().positive().default(2),
  seed: z.coerce.number().int().optional(),
  targets: z.string().optional(),
  'max-kills': z.coerce.number().int().min(0).optional(),
  'no-latency': z.boolean().default(false),
  'latency-ms': z.coerce.number().int().min(0).default(1_500),
  mix: z.string().default(CHAOS_MIX),
  'cancel-delay': z.coerce.number().min(0).default(2_500),
  'recover-deadline': z.coerce.number().positive().default(180),
  settle: z.coerce.number().positive().default(300),
  'plant-violation': z.boolean().default(false),
  record: z.boolean().default(false),
  json: z.string().min(1).optional(),
  url: z.string().optional(),
  help: z.boolean().default(false),
});
const booleanFlags = new Set(['no-latency', 'plant-violation', 'record', 'help']);

export interface ChaosOptions {
  durationMs: number;
  ratePerSecond: number;
  seed: number;
  targets: Target[];
  maxKills: number;
  latency: boolean;
  latencyMs: number;
  mixText: string;
  cancelDelayMs: number;
  recoverDeadlineMs: number;
  settleMs: number;
  plantViolation: boolean;
  record: boolean;
  jsonFile: string | undefined;
  baseUrl: string;
}

export type ParsedChaosCommandLine = { help: true } | { help: false; options: ChaosOptions; warnings: string[] };

export function parseChaosCommandLine(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ParsedChaosCommandLine {
  const flags = parseFlags(argv, flagsSchema, booleanFlags);
  if (flags.help) return { help: true };

  const warnings: string[] = [];
  const cap = hardCap(warnings);

  let targets: Target[];
  if (flags.targets === undefined) targets = [...allTargets];
  else if (flags.targets.trim() === 'none') targets = [];
  else {
    const names = flags.targets
      .split(',')
      .map((name) => name.trim())
      .filter(Boolean);
    const unknown = names.filter((name) => !isTarget(name));
    if (unknown.length > 0) throw new UsageError(`--targets: unknown ${unknown.join(', ')}; choose from ${allTargets.join(', ')}`);
    targets = [...new Set(names)] as Target[];
  }
  try {
    parseMix(flags.mix);
  } catch (error) {
    if (error instanceof MixError) throw new UsageError(`--mix: ${error.message}`);
    throw error;
  }
  const baseUrl = flags.url ?? env.GATEWAY_URL ?? DEFAULT_BASE_URL;
  checkTarget(baseUrl, false);

  const durationMs = cap('duration', flags.duration, hardCaps.durationSeconds) * 1000;
  // A kill and its recovery take 5-30 s on the dev machine; fewer seconds than that per target leave some unkilled.
  if (targets.length > 0 && durationMs < targets.length * 15_000) {
    warnings.push(`--duration ${flags.duration} may be too short to kill all ${targets.length} targets (about 15 s each)`);
  }
  return {
    help: false,
    warnings,
    options: {
      durationMs,
      ratePerSecond: cap('rate', flags.rate, hardCaps.ratePerSecond),
      seed: flags.seed ?? Math.floor(Math.random() * 2 ** 31),
      targets,
      maxKills: Math.max(targets.length, cap('max-kills', flags['max-kills'] ?? 2 * targets.length, hardCaps.maxKills)),
      latency: !flags['no-latency'],
      latencyMs: cap('latency-ms', flags['latency-ms'], hardCaps.latencyMs),
      mixText: flags.mix,
      cancelDelayMs: flags['cancel-delay'],
      recoverDeadlineMs: cap('recover-deadline', flags['recover-deadline'], hardCaps.recoverSeconds) * 1000,
      settleMs: cap('settle', flags.settle, hardCaps.settleSeconds) * 1000,
      plantViolation: flags['plant-violation'],
      record: flags.record,
      jsonFile: flags.json,
      baseUrl,
    },
  };
}
