/**
 * `npm run bench:serve`: ingestion throughput of `trailhound serve` (folder source, transactions per batch of files,
 * checkpoints, findings and event history in SQLite) against the batch job `trailhound detect --db` (one transaction,
 * the same store) on the same synthetic corpus, measured in the same run. Numbers are ratios to that baseline.
 *
 * Usage: node --import tsx bench/serve.ts [--events N] [--seed S]   (defaults: 200000 events, "trailhound-bench")
 * Runs the built CLI (dist/): `npm run build` first. Writes bench/out/serve-results.json.
 */

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { type CorpusSummary, DEFAULT_SEED, generateCorpus, MANIFEST } from './generate-cloudtrail.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'bench', 'out', 'serve');
const CLI = join(ROOT, 'bin', 'trailhound.js');

interface Run {
  name: string;
  ms: number;
  events: number;
  findings: number;
}

function run(args: string[]): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 || code === 1 ? resolvePromise(performance.now() - started) : reject(new Error(`trailhound ${args[0]} exited ${code}`)),
    );
  });
}

function counts(db: string): { events: number; findings: number } {
  const conn = new Database(db, { readonly: true });
  try {
    return {
      events: (conn.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n,
      findings: (conn.prepare('SELECT count(*) AS n FROM findings').get() as { n: number }).n,
    };
  } finally {
    conn.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { events: { type: 'string', default: '200000' }, seed: { type: 'string', default: DEFAULT_SEED } } });
  const events = Number(values.events);
  if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: npm run build first');
  mkdirSync(OUT, { recursive: true });
  const manifest = join(OUT, MANIFEST);
  const existing = existsSync(manifest) ? (JSON.parse(readFileSync(manifest, 'utf8')) as CorpusSummary) : undefined;
  if (!existing || existing.events !== events || existing.seed !== values.seed) await generateCorpus({ events, seed: values.seed as string, out: OUT });
  const logs = join(OUT, 'AWSLogs');

  const runs: Run[] = [];
  const measure = async (name: string, db: string, args: string[]) => {
    rmSync(db, { force: true });
    rmSync(`${db}-wal`, { force: true });
    rmSync(`${db}-shm`, { force: true });
    const ms = await run(args);
    runs.push({ name, ms, ...counts(db) });
    process.stderr.write(`${name}: ${(ms / 1000).toFixed(1)} s\n`);
  };

  await measure('detect --db (baseline: one transaction)', join(OUT, 'detect.db'), ['detect', '--db', join(OUT, 'detect.db'), '--format', 'json', logs]);
  for (const batch of [50, 1]) {
    const db = join(OUT, `serve-${batch}.db`);
    const config = join(OUT, `serve-${batch}.json`);
    writeFileSync(
      config,
      JSON.stringify({
        db,
        serve: { port: 0, batchObjects: batch, sources: [{ type: 'folder', name: 'bench', paths: [logs], settleMs: 0, intervalSeconds: 0.2 }] },
      }),
    );
    await measure(`serve --once, ${batch} file(s) per transaction`, db, ['serve', '--config', config, '--once']);
  }

  const base = runs[0] as Run;
  const rows = runs.map((r) => ({
    run: r.name,
    seconds: Number((r.ms / 1000).toFixed(2)),
    eventsPerSecond: Math.round(r.events / (r.ms / 1000)),
    ratioToBaseline: Number((base.ms / r.ms).toFixed(2)),
    events: r.events,
    findings: r.findings,
  }));
  for (const r of runs)
    if (r.events !== base.events || r.findings !== base.findings) process.stderr.write(`MISMATCH: ${r.name} has ${r.events} events / ${r.findings} findings\n`);
  console.table(rows);
  writeFileSync(join(ROOT, 'bench', 'out', 'serve-results.json'), `${JSON.stringify({ events, rows }, null, 2)}\n`);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exitCode = 1;
});
