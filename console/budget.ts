/**
 * The console's size budget (docs/console.md): 150 KB of JavaScript and CSS, gzipped, for the whole
 * page. A Vite plugin measures every chunk and asset the build writes, prints the total and fails
 * the build over budget, so a heavy dependency is noticed the day it is added, not in a browser.
 */
import { gzipSync } from 'node:zlib';
import type { Plugin } from 'vite';

export const BUDGET_GZIPPED_BYTES = 150 * 1024;

export function bundleBudget(limit = BUDGET_GZIPPED_BYTES): Plugin {
  return {
    name: 'ordersaga-bundle-budget',
    apply: 'build',
    generateBundle(_options, bundle) {
      const sizes = Object.values(bundle)
        .filter((file) => /\.(js|css)$/.test(file.fileName))
        .map((file) => ({
          name: file.fileName,
          gzipped: gzipSync(file.type === 'chunk' ? file.code : file.source).length,
        }));
      const total = sizes.reduce((sum, file) => sum + file.gzipped, 0);
      const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
      const lines = sizes.map((file) => `  ${file.name}: ${kb(file.gzipped)}`).join('\n');
      this.info(`bundle budget: ${kb(total)} gzipped of ${kb(limit)}\n${lines}`);
      // The measurement, for the report and the test that reads it.
      this.emitFile({
        type: 'asset',
        fileName: 'budget.json',
        source: JSON.stringify({ gzippedBytes: total, limitBytes: limit, files: sizes }, null, 2),
      });
      if (total > limit) this.error(`the console is ${kb(total)} gzipped, over its budget of ${kb(limit)} (console/budget.ts)`);
    },
  };
}
