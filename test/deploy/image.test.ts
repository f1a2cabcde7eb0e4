/**
 * The Dockerfile, read statically (no Docker engine here): a glibc Node 24 base (the major the dev
 * tooling runs, infra/local/node.sh), production-only
 * dependencies, the prebuilt workflow bundle, a non-root user, a health check, and the dev stack's
 * command line with every source folder an entry point needs.
 */
import test from 'ava';
import { read, serviceEntries } from './deployment-files.js';

interface Instruction {
  keyword: string;
  argument: string;
}

/** The Dockerfile's instructions, continuation lines joined, comments dropped, grouped by stage. */
function stages(text: string): { name: string; from: string; instructions: Instruction[] }[] {
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const args = new Map<string, string>();
  const result: { name: string; from: string; instructions: Instruction[] }[] = [];
  for (const line of lines) {
    const [, keyword, argument] = /^(\w+)\s+([\s\S]*)$/.exec(line) ?? [];
    if (!keyword) continue;
    if (keyword === 'ARG' && result.length === 0) {
      const [name, value] = argument!.split('=');
      args.set(name!, value ?? '');
    } else if (keyword === 'FROM') {
      const [image, , name] = argument!.split(/\s+/);
      result.push({
        name: name ?? String(result.length),
        from: image!.replace(/\$\{(\w+)\}/g, (_, arg: string) => args.get(arg) ?? ''),
        instructions: [],
      });
    } else {
      result.at(-1)?.instructions.push({ keyword: keyword.toUpperCase(), argument: argument! });
    }
  }
  return result;
}

const dockerfile = read('Dockerfile');
const all = stages(dockerfile);
const runtime = all.at(-1)!;
const find = (stage: (typeof all)[number], keyword: string) => stage.instructions.filter((instruction) => instruction.keyword === keyword);

test('multi-stage on node:24-bookworm-slim (glibc, for the Temporal core-bridge), never Alpine', (t) => {
  t.true(all.length >= 3);
  for (const stage of all) t.regex(stage.from, /^(node:24-bookworm-slim|deps|build)$/, stage.name);
  t.is(runtime.from, 'node:24-bookworm-slim');
  t.notRegex(dockerfile, /alpine:|-alpine/);
});

test('the image runs the Node major the dev tooling fetches and package.json asks for', (t) => {
  const devMajor = /^NODE_MIN_MAJOR=(\d+)$/m.exec(read('infra/local/node.sh'))?.[1];
  t.truthy(devMajor, 'infra/local/node.sh names NODE_MIN_MAJOR');
  t.is(/^node:(\d+)-/.exec(runtime.from)?.[1], devMajor);
  t.is((JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node, `>=${devMajor}`);
});

test('production dependencies only, and the workflow bundle built in a build stage', (t) => {
  // The console's stage installs Vite (a dev dependency); only its built files leave it (below).
  const runs = all.filter((stage) => stage.name !== 'console').flatMap((stage) => find(stage, 'RUN').map((run) => run.argument));
  t.true(runs.some((run) => /npm ci\b.*--omit=dev/.test(run)));
  t.false(
    runs.some((run) => /npm (ci|install)\b(?!.*--omit=dev)/.test(run)),
    'no install with dev dependencies',
  );
  t.true(runs.some((run) => /npm run bundle\b/.test(run)));
  t.true(
    find(runtime, 'COPY').some((copy) => /--from=build .*\/app\/dist/.test(copy.argument)),
    'the bundle reaches the runtime stage',
  );
  t.deepEqual(find(runtime, 'RUN'), [], 'the runtime stage only copies');
});

test('the web console is built in a stage of its own, and only its built files reach the runtime', (t) => {
  const stage = all.find((candidate) => candidate.name === 'console');
  t.truthy(stage, 'a console stage');
  t.true(find(stage!, 'RUN').some((run) => /npm run console:build\b/.test(run.argument)));
  const fromConsole = find(runtime, 'COPY').filter((copy) => copy.argument.includes('--from=console'));
  t.deepEqual(
    fromConsole.map((copy) => copy.argument),
    ['--from=console /app/console/dist ./console/dist'],
  );
  t.false(
    find(runtime, 'COPY').some((copy) => /--from=console .*node_modules/.test(copy.argument)),
    "the console stage's dev dependencies stay behind",
  );
});

test('runs as a non-root user, by number', (t) => {
  const user = find(runtime, 'USER').at(-1)?.argument ?? '';
  t.regex(user, /^[1-9]\d*(:\d+)?$/);
});

test('has a health check on the service’s /health', (t) => {
  const check = find(runtime, 'HEALTHCHECK').at(-1)?.argument ?? '';
  t.regex(check, /\/health/);
  t.regex(check, /--interval=\d+s/);
});

test('starts like infra/local/services.sh, and ships every folder an entry point needs', (t) => {
  const entrypoint = JSON.parse(find(runtime, 'ENTRYPOINT').at(-1)!.argument) as string[];
  // services.sh builds one command line (supervised or not): `local command=(node …)`.
  const devCommand = /command=\((node [^)\n]+)\)/.exec(read('infra/local/services.sh'))?.[1] ?? '';
  t.not(devCommand, '', 'the node command line in infra/local/services.sh');
  for (const flag of ['--enable-source-maps', '--import tsx']) {
    t.true(devCommand.includes(flag));
    t.true(entrypoint.join(' ').includes(flag), flag);
  }
  t.true(entrypoint.join(' ').includes('--import /app/platform/telemetry/preload.mjs'));
  const copied = find(runtime, 'COPY').map((copy) => copy.argument.split(/\s+/).at(-1)!.replace(/^\.\//, ''));
  const imports = (entry: string) => [...read(entry).matchAll(/from '(?:\.\.\/)+([\w-]+)\//g)].map((match) => match[1]!);
  for (const { entry } of serviceEntries()) {
    for (const folder of new Set([entry.split('/')[0]!, ...imports(entry)])) t.true(copied.includes(folder), `${entry} needs ${folder}/`);
  }
  t.true(copied.includes('infra/programs/setup'), 'the setup and seed jobs');
  t.true(copied.includes('loadgen'), 'the load generator (compose profile load, the Kubernetes component)');
  t.deepEqual(JSON.parse(find(runtime, 'CMD').at(-1)!.argument), ['gateway/main.ts']);
});

test('.dockerignore keeps local state, dependencies and secrets out of the build context', (t) => {
  const ignored = read('.dockerignore')
    .split('\n')
    .map((line) => line.trim());
  for (const path of ['.git', 'node_modules', '.state', '.tools', 'dist', '.env']) t.true(ignored.includes(path), path);
});
