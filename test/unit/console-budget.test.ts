/**
 * The console's bundle budget (console/budget.ts): the build measures every script and style it
 * writes, gzipped, records the measurement, and fails over the limit, naming the size.
 */
import { randomBytes } from 'node:crypto';
import test from 'ava';
import { bundleBudget } from '../../console/budget.js';

/** Runs the plugin's measuring hook on a bundle of these files, as Vite would. */
function build(files: Record<string, string>, limit: number): { emitted: string[]; failure?: string } {
  const emitted: string[] = [];
  const context = {
    info: () => undefined,
    emitFile: (file: { source: string }) => emitted.push(file.source),
    error: (message: string) => {
      throw new Error(message);
    },
  };
  const bundle = Object.fromEntries(
    Object.entries(files).map(([fileName, code]) => [
      fileName,
      fileName.endsWith('.js') ? { type: 'chunk', fileName, code } : { type: 'asset', fileName, source: code },
    ]),
  );
  const hook = bundleBudget(limit).generateBundle as unknown as (this: typeof context, options: unknown, bundle: unknown) => void;
  try {
    hook.call(context, {}, bundle);
    return { emitted };
  } catch (error) {
    return { emitted, failure: (error as Error).message };
  }
}

test('a bundle within its budget builds, and the measurement is written beside it', (t) => {
  const result = build(
    { 'assets/index.js': 'console.log("hello");'.repeat(100), 'assets/index.css': 'body { margin: 0 }', 'index.html': '<html>' },
    1024,
  );
  t.is(result.failure, undefined);
  const measured = JSON.parse(result.emitted[0]!) as { gzippedBytes: number; files: { name: string }[] };
  t.true(measured.gzippedBytes > 0 && measured.gzippedBytes < 1024);
  t.deepEqual(
    measured.files.map((file) => file.name),
    ['assets/index.js', 'assets/index.css'],
    'scripts and styles count, the page does not',
  );
});

test('a bundle over its budget fails the build, naming its size and the limit', (t) => {
  // random bytes do not compress: 4 KB of them stay about 4 KB gzipped
  const result = build({ 'assets/index.js': randomBytes(4096).toString('base64') }, 2048);
  t.regex(result.failure ?? '', /over its budget of 2\.0 KB/);
});
