/**
 * The ledger journal's durable write, alone: the latency of one O_DSYNC write of a group's bytes
 * (p50/p99/p999) when the segment grows by appending, and when it was zero-filled beforehand and
 * the write lands in place (payment-sim/ledger-journal.ts says why it pre-zeroes). On ext4 or xfs
 * an appending O_DSYNC write also commits the file's new size and extents (a journal transaction of
 * the filesystem), a write into blocks already written does not; `fallocate` alone is not enough,
 * its extents are "unwritten" and the first write into them converts them, again metadata; a
 * `sparse` file (size set by ftruncate, no blocks) is measured as a third way.
 *
 *   npx tsx bench/journal-write.ts              # 3,000 writes of 3 KiB per way, alternated in rounds
 *   JOURNAL_WRITES=5000 JOURNAL_WRITE_BYTES=8192 JOURNAL_DIR=/var/tmp npx tsx bench/journal-write.ts
 *
 * Writes go through libuv's thread pool (`fs.write`), as the journal's do, so the hop is included.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const writes = Number(process.env.JOURNAL_WRITES ?? 3_000);
const groupBytes = Number(process.env.JOURNAL_WRITE_BYTES ?? 3_072);
const rounds = 4;
const dir = fs.mkdtempSync(path.join(process.env.JOURNAL_DIR ?? os.tmpdir(), 'journal-write-'));
const write = promisify(fs.write);
const { O_APPEND, O_CREAT, O_WRONLY, O_DSYNC } = fs.constants;

type Way = 'append' | 'sparse' | 'pre-zeroed';

async function measure(way: Way, round: number): Promise<number[]> {
  const file = path.join(dir, `${way}-${round}`);
  const size = writes * groupBytes;
  if (way === 'pre-zeroed') {
    // As the journal prepares a segment: zeros written and synced once, before any record.
    const fd = fs.openSync(file, O_CREAT | O_WRONLY, 0o644);
    const zeros = Buffer.alloc(1024 * 1024);
    for (let offset = 0; offset < size; offset += zeros.length) fs.writeSync(fd, zeros, 0, Math.min(zeros.length, size - offset), offset);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
  } else if (way === 'sparse') {
    // The size set beforehand (ftruncate), no blocks: each write still allocates them (Node has no fallocate).
    const fd = fs.openSync(file, O_CREAT | O_WRONLY, 0o644);
    fs.ftruncateSync(fd, size);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
  }
  const fd = fs.openSync(file, (way === 'append' ? O_APPEND | O_CREAT : 0) | O_WRONLY | O_DSYNC, 0o644);
  const data = Buffer.alloc(groupBytes, 0x61);
  const latencies: number[] = [];
  for (let index = 0; index < writes; index += 1) {
    const started = performance.now();
    await write(fd, data, 0, data.length, way === 'append' ? null : index * groupBytes);
    latencies.push(performance.now() - started);
  }
  fs.closeSync(fd);
  fs.unlinkSync(file);
  return latencies;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

const results = new Map<Way, number[]>();
const ways: Way[] = ['append', 'sparse', 'pre-zeroed'];
for (let round = 0; round < rounds; round += 1) {
  for (const way of round % 2 === 0 ? ways : [...ways].reverse()) {
    const latencies = await measure(way, round);
    results.set(way, [...(results.get(way) ?? []), ...latencies]);
  }
}
fs.rmSync(dir, { recursive: true, force: true });
console.log(
  `${writes * rounds} O_DSYNC writes of ${groupBytes} B per way, ${rounds} rounds alternated; load ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ')}`,
);
for (const [way, latencies] of results) {
  const sorted = [...latencies].sort((a, b) => a - b);
  const mean = sorted.reduce((sum, value) => sum + value, 0) / sorted.length;
  console.log(
    `${way.padEnd(11)} mean ${mean.toFixed(3)} ms  p50 ${percentile(sorted, 0.5).toFixed(3)}  p99 ${percentile(sorted, 0.99).toFixed(3)}  p999 ${percentile(sorted, 0.999).toFixed(3)}  max ${sorted.at(-1)!.toFixed(3)}`,
  );
}
