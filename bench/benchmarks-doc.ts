/** Writes benchmark runs into docs/benchmarks.md, one section per benchmark, newest run last. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const path = fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url));

/** Adds `report` at the end of the section `heading`, creating the file or the section (with `intro`) if need be. */
export function appendToBenchmarks(heading: string, report: string, intro?: string): void {
  const document = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n';
  const start = document.indexOf(`\n${heading}\n`);
  if (start < 0) {
    writeFileSync(path, `${document.trimEnd()}\n\n${heading}\n\n${intro ? `${intro}\n\n` : ''}${report}\n`);
    return;
  }
  const next = document.indexOf('\n## ', start + heading.length + 1);
  const end = next < 0 ? document.length : next;
  writeFileSync(path, `${document.slice(0, end).trimEnd()}\n\n${report}\n${document.slice(end)}`);
}
