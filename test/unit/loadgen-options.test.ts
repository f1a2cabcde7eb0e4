/** The load generator's command line (loadgen/options.ts): defaults, hard caps, and loopback-only targets. */
import test from 'ava';
import { checkTarget, hardCaps, isLoopbackHost, parseCommandLine, UsageError, type LoadOptions } from '../../loadgen/options.js';

function options(argv: string[], env: NodeJS.ProcessEnv = {}): { options: LoadOptions; warnings: string[] } {
  const parsed = parseCommandLine(argv, env);
  if (parsed.help) throw new Error('unexpected --help');
  return parsed;
}

test('with no flags: open model at 5/s for 20 s against localhost:8080, default mix', (t) => {
  const { options: chosen, warnings } = options([]);
  t.deepEqual(chosen.model, { kind: 'open', ratePerSecond: 5, arrivals: 'uniform', maxInFlight: 1_000 });
  t.is(chosen.durationSeconds, 20);
  t.is(chosen.baseUrl, 'http://localhost:8080');
  t.is(chosen.deadlineMs, 60_000);
  t.is(chosen.tcpShare, 0.5);
  t.is(chosen.mix.length, 6);
  t.deepEqual(warnings, []);
});

test('--concurrency chooses the closed model; it excludes --rate', (t) => {
  t.like(options(['--concurrency', '4', '--think', '250']).options.model, { kind: 'closed', concurrency: 4, thinkMs: 250 });
  t.throws(() => options(['--rate', '5', '--concurrency', '4']), { instanceOf: UsageError, message: /exclude each other/ });
});

test('--count alone runs until the count (the duration is then only the cap)', (t) => {
  const { options: chosen } = options(['--count', '30']);
  t.is(chosen.maxCount, 30);
  t.is(chosen.durationSeconds, hardCaps.durationSeconds);
  t.true(chosen.countGiven);
  t.false(chosen.durationGiven);
});

test('huge numbers are lowered to the hard caps, with a note for each', (t) => {
  const { options: chosen, warnings } = options([
    '--rate',
    '100000',
    '--duration',
    '999999',
    '--count',
    '1e9',
    '--deadline',
    '86400',
    '--poll-concurrency',
    '1000',
    '--customers',
    '1e7',
  ]);
  t.is(chosen.model.kind === 'open' && chosen.model.ratePerSecond, hardCaps.ratePerSecond);
  t.is(chosen.durationSeconds, hardCaps.durationSeconds);
  t.is(chosen.maxCount, hardCaps.count);
  t.is(chosen.deadlineMs, hardCaps.deadlineSeconds * 1000);
  t.is(chosen.pollConcurrency, hardCaps.pollConcurrency);
  t.is(chosen.customers, hardCaps.customers);
  t.is(warnings.length, 6);
  t.regex(warnings[0]!, /--rate 100000 is above the hard cap; using 200/);
  t.like(options(['--concurrency', '100000']).options.model, { kind: 'closed', concurrency: hardCaps.concurrency });
});

test('bad values and unknown flags are usage errors', (t) => {
  for (const argv of [
    ['--rate', '0'],
    ['--rate', '-3'],
    ['--rate', 'fast'],
    ['--tcp-share', '1.5'],
    ['--count', '2.5'],
    ['--arrivals', 'bursty'],
    ['--colour'],
    ['positional'],
    ['--mix', 'happy=1,refund=1'],
  ]) {
    t.throws(() => options(argv), { instanceOf: UsageError }, argv.join(' '));
  }
});

test('the target defaults to $GATEWAY_URL when set', (t) => {
  t.is(options([], { GATEWAY_URL: 'http://127.0.0.1:18080' }).options.baseUrl, 'http://127.0.0.1:18080');
  t.is(options(['--url', 'http://localhost:9999'], { GATEWAY_URL: 'http://127.0.0.1:18080' }).options.baseUrl, 'http://localhost:9999');
});

test('only this machine is a target unless --allow-remote', (t) => {
  for (const host of ['localhost', '127.0.0.1', '127.1.2.3', '[::1]', '::1', '[::ffff:127.0.0.1]', 'LOCALHOST'])
    t.true(isLoopbackHost(host), host);
  for (const host of [
    '10.0.0.1',
    '192.168.1.10',
    '172.16.0.1',
    '8.8.8.8',
    'example.com',
    'localhost.example.com',
    '[::]',
    '0.0.0.0',
    '128.0.0.1',
  ])
    t.false(isLoopbackHost(host), host);

  t.throws(() => options(['--url', 'http://192.168.1.10:8080']), {
    instanceOf: UsageError,
    message: /not on this machine.*--allow-remote/,
  });
  t.is(options(['--url', 'http://192.168.1.10:8080', '--allow-remote']).options.baseUrl, 'http://192.168.1.10:8080');
  t.throws(() => checkTarget('ftp://localhost/', false), { instanceOf: UsageError });
  t.throws(() => checkTarget('http://user:secret@localhost:8080', false), { instanceOf: UsageError, message: /credentials/ });
  t.throws(() => checkTarget('not a url', true), { instanceOf: UsageError });
});

test('--help is recognised, short and long', (t) => {
  t.deepEqual(parseCommandLine(['--help'], {}), { help: true });
  t.deepEqual(parseCommandLine(['-h'], {}), { help: true });
});
