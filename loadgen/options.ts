/**
 * The command line: what the load is, how it is bounded, and where it may go. Every number has a
 * hard cap that no flag can lift (`hardCaps`), and the target must be on this machine unless
 * `--allow-remote` says otherwise.
 */
import { isIP } from 'node:net';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { DEFAULT_MIX, MixError, parseMix, type Mix } from './mix.js';

/** Limits no flag can lift: a typo such as `--rate 5000` must not turn into a flood. */
export const hardCaps = {
  ratePerSecond: 200,
  concurrency: 200,
  durationSeconds: 3_600,
  count: 100_000,
  deadlineSeconds: 600,
  pollConcurrency: 64,
  pollsPerSecond: 500,
  maxInFlight: 5_000,
  customers: 10_000,
  graceSeconds: 120,
  requestTimeoutMs: 60_000,
  thinkMs: 60_000,
  cancelDelayMs: 60_000,
} as const;

export const DEFAULT_BASE_URL = 'http://localhost:8080';

export class UsageError extends Error {
  override name = 'UsageError';
}

export const helpText = `ordersaga load generator: orders through the gateway, at a rate or with N customers.

Usage: npx tsx loadgen/main.ts [options]

Load model (pick one; default: --rate 5):
  --rate <n>               open model: n orders per second (cap ${hardCaps.ratePerSecond})
  --concurrency <n>        closed model: n customers, each orders, waits for the end, repeats (cap ${hardCaps.concurrency})
  --arrivals <kind>        open model spacing: uniform (default) or poisson
  --ramp <s>               climb linearly to the rate / the customer count over s seconds (default 0)
  --think <ms>             closed model: pause between a customer's orders (default 0)

Bounds (the first reached ends submission; default: --duration 20):
  --duration <s>           stop submitting after s seconds (cap ${hardCaps.durationSeconds})
  --count <n>              stop after n orders (cap ${hardCaps.count})
  --deadline <s>           an order not terminal s seconds after submission is a timeout (default 60, cap ${hardCaps.deadlineSeconds})
  --max-in-flight <n>      open model: skip arrivals while n orders are unfinished (default 1000, cap ${hardCaps.maxInFlight})
  --grace <s>              after Ctrl-C, wait this long for orders in flight (default 10, cap ${hardCaps.graceSeconds})

What is ordered:
  --mix <spec>             scenario weights (default ${DEFAULT_MIX})
  --tcp-share <0..1>       share of orders paid over the legacy TCP line (default 0.5)
  --customers <n>          size of the customer pool (default 50, cap ${hardCaps.customers})
  --cancel-delay <ms>      cancel scenario: cancel up to this long after acceptance (default 200)
  --seed <n>               replay the same orders (default: random)

Talking to the gateway:
  --url <url>              gateway base URL (default $GATEWAY_URL or ${DEFAULT_BASE_URL})
  --allow-remote           allow a target that is not this machine (loopback only otherwise)
  --api-key <token>        a fixed bearer token whose customer places every order (default $GATEWAY_API_KEY;
                           without it, each customer's token is minted from the local secret, .state/gateway-secret)
  --poll-interval <ms>     first status poll after acceptance; backs off x1.5 (default 250)
  --poll-max-interval <ms> longest pause between polls of one order (default 2000)
  --poll-concurrency <n>   status polls in flight at once, all orders together (default 8, cap ${hardCaps.pollConcurrency})
  --poll-rate <n>          status polls started per second, all orders together (default 50, cap ${hardCaps.pollsPerSecond})
  --request-timeout <ms>   timeout of one HTTP request (default 10000, cap ${hardCaps.requestTimeoutMs})
  --trace-polls            mark status polls as sampled too (default: only submit and cancel are sampled)

Output:
  --json <file>            also write the summary, with every order and its trace id, as JSON
  --plain                  a compact progress line every 5 s, even on a terminal
  -h, --help               this text

Ctrl-C stops submitting and waits --grace seconds for orders in flight; a second Ctrl-C stops at once.
Exit status: 0 when at least one order was accepted, 1 when none was, 2 for a usage error.
`;

const positive = z.coerce.number().positive();
const positiveInteger = z.coerce.number().int().positive();
const nonNegative = z.coerce.number().min(0);

/** The flags as given (strings), checked and turned into numbers; caps are applied afterwards. */
const flagsSchema = z.object({
  url: z.string().optional(),
  rate: positive.optional(),
  concurrency: positiveInteger.optional(),
  arrivals: z.enum(['uniform', 'poisson']).default('uniform'),
  ramp: nonNegative.default(0),
  think: nonNegative.default(0),
  duration: positive.optional(),
  count: positiveInteger.optional(),
  deadline: positive.default(60),
  'max-in-flight': positiveInteger.default(1_000),
  grace: nonNegative.default(10),
  mix: z.string().default(DEFAULT_MIX),
  'tcp-share': z.coerce.number().min(0).max(1).default(0.5),
  customers: positiveInteger.default(50),
  'cancel-delay': nonNegative.default(200),
  seed: z.coerce.number().int().optional(),
  'allow-remote': z.boolean().default(false),
  'api-key': z.string().optional(),
  'poll-interval': z.coerce.number().min(50).default(250),
  'poll-max-interval': z.coerce.number().min(50).default(2_000),
  'poll-concurrency': positiveInteger.default(8),
  'poll-rate': positive.default(50),
  'request-timeout': z.coerce.number().min(100).default(10_000),
  'trace-polls': z.boolean().default(false),
  json: z.string().min(1).optional(),
  plain: z.boolean().default(false),
  help: z.boolean().default(false),
});

/** Flags that take no value; every other flag takes one. */
const booleanFlags = new Set(['allow-remote', 'trace-polls', 'plain', 'help']);

export type LoadModel =
  | { kind: 'open'; ratePerSecond: number; arrivals: 'uniform' | 'poisson'; maxInFlight: number }
  | { kind: 'closed'; concurrency: number; thinkMs: number };

export interface LoadOptions {
  baseUrl: string;
  allowRemote: boolean;
  apiKey: string | undefined;
  model: LoadModel;
  rampSeconds: number;
  durationSeconds: number;
  maxCount: number;
  /** Whether --duration / --count were given (the other bound is then a default or the cap). */
  durationGiven: boolean;
  countGiven: boolean;
  deadlineMs: number;
  graceMs: number;
  mix: Mix;
  mixText: string;
  tcpShare: number;
  customers: number;
  cancelDelayMaxMs: number;
  seed: number;
  pollInitialMs: number;
  pollMaxMs: number;
  pollConcurrency: number;
  pollsPerSecond: number;
  requestTimeoutMs: number;
  tracePolls: boolean;
  jsonFile: string | undefined;
  plain: boolean;
}

/**
 * `--name value` and boolean `--name` arguments, checked against a zod schema whose keys are the
 * flag names: an unknown flag, a missing value or a value the schema refuses is a UsageError naming
 * the flag. Shared by the load generator and the chaos suite (infra/programs/chaos/options.ts).
 */
export function parseFlags<S extends z.ZodObject>(argv: readonly string[], schema: S, booleanFlags: ReadonlySet<string>): z.infer<S> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: Object.fromEntries(
        Object.keys(schema.shape).map((name) => [
          name,
          booleanFlags.has(name) ? { type: 'boolean' as const, ...(name === 'help' ? { short: 'h' } : {}) } : { type: 'string' as const },
        ]),
      ),
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const parsed = schema.safeParse(values);
  if (!parsed.success) {
    throw new UsageError(parsed.error.issues.map((issue) => `--${issue.path.join('.')}: ${issue.message}`).join('\n'));
  }
  return parsed.data;
}

/** A value above its hard cap is lowered to it, with a warning for the user (not an error: the run still goes). */
export function hardCap(warnings: string[]): (flag: string, value: number, limit: number) => number {
  return (flag, value, limit) => {
    if (value <= limit) return value;
    warnings.push(`--${flag} ${value} is above the hard cap; using ${limit}`);
    return limit;
  };
}

export type ParsedCommandLine = { help: true } | { help: false; options: LoadOptions; warnings: string[] };

export function parseCommandLine(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ParsedCommandLine {
  const flags = parseFlags(argv, flagsSchema, booleanFlags);
  if (flags.help) return { help: true };

  const warnings: string[] = [];
  const cap = hardCap(warnings);

  if (flags.rate !== undefined && flags.concurrency !== undefined) {
    throw new UsageError('--rate (open model) and --concurrency (closed model) exclude each other: pick one');
  }
  let mix: Mix;
  try {
    mix = parseMix(flags.mix);
  } catch (error) {
    if (error instanceof MixError) throw new UsageError(`--mix: ${error.message}`);
    throw error;
  }

  const model: LoadModel =
    flags.concurrency !== undefined
      ? {
          kind: 'closed',
          concurrency: cap('concurrency', flags.concurrency, hardCaps.concurrency),
          thinkMs: cap('think', flags.think, hardCaps.thinkMs),
        }
      : {
          kind: 'open',
          ratePerSecond: cap('rate', flags.rate ?? 5, hardCaps.ratePerSecond),
          arrivals: flags.arrivals,
          maxInFlight: cap('max-in-flight', flags['max-in-flight'], hardCaps.maxInFlight),
        };
  // With only --count the duration is the cap, so the count ends the run; with neither, 20 s.
  const durationSeconds = cap(
    'duration',
    flags.duration ?? (flags.count !== undefined ? hardCaps.durationSeconds : 20),
    hardCaps.durationSeconds,
  );
  const pollInitialMs = flags['poll-interval'];

  const baseUrl = flags.url ?? env.GATEWAY_URL ?? DEFAULT_BASE_URL;
  checkTarget(baseUrl, flags['allow-remote']);

  return {
    help: false,
    warnings,
    options: {
      baseUrl,
      allowRemote: flags['allow-remote'],
      apiKey: flags['api-key'] ?? env.GATEWAY_API_KEY,
      model,
      rampSeconds: Math.min(flags.ramp, durationSeconds),
      durationSeconds,
      maxCount: cap('count', flags.count ?? hardCaps.count, hardCaps.count),
      durationGiven: flags.duration !== undefined,
      countGiven: flags.count !== undefined,
      deadlineMs: cap('deadline', flags.deadline, hardCaps.deadlineSeconds) * 1000,
      graceMs: cap('grace', flags.grace, hardCaps.graceSeconds) * 1000,
      mix,
      mixText: flags.mix,
      tcpShare: flags['tcp-share'],
      customers: cap('customers', flags.customers, hardCaps.customers),
      cancelDelayMaxMs: cap('cancel-delay', flags['cancel-delay'], hardCaps.cancelDelayMs),
      seed: flags.seed ?? Math.floor(Math.random() * 2 ** 31),
      pollInitialMs,
      pollMaxMs: Math.max(pollInitialMs, flags['poll-max-interval']),
      pollConcurrency: cap('poll-concurrency', flags['poll-concurrency'], hardCaps.pollConcurrency),
      pollsPerSecond: cap('poll-rate', flags['poll-rate'], hardCaps.pollsPerSecond),
      requestTimeoutMs: cap('request-timeout', flags['request-timeout'], hardCaps.requestTimeoutMs),
      tracePolls: flags['trace-polls'],
      jsonFile: flags.json,
      plain: flags.plain,
    },
  };
}

/** True for localhost, 127.0.0.0/8 and ::1 (also as an IPv4-mapped address). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || /^::ffff:127\./.test(host) || /^::ffff:7f[0-9a-f]{2}:/.test(host);
  return false;
}

/** Refuses anything but an http(s) URL on this machine, unless remote targets are allowed. */
export function checkTarget(baseUrl: string, allowRemote: boolean): URL {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new UsageError(`--url ${baseUrl} is not a URL (e.g. ${DEFAULT_BASE_URL})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--url ${baseUrl}: only http and https are supported`);
  if (url.username || url.password) throw new UsageError('--url must not carry credentials; use --api-key');
  if (!allowRemote && !isLoopbackHost(url.hostname)) {
    throw new UsageError(
      `--url ${baseUrl} is not on this machine (localhost, 127.0.0.0/8, ::1); pass --allow-remote if you really mean it`,
    );
  }
  return url;
}
