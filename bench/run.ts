/**
 * `npm run bench`: throughput and memory of `trailhound detect` on a synthetic CloudTrail corpus, reported as
 * ratios against a baseline (read + gunzip + JSON.parse, nothing else) measured in the same run on the same files.
 *
 * Usage: node --import tsx bench/run.ts [--events N] [--seed S] [--regenerate] [--findings]
 *   --events N     corpus size (default 1,000,000); a corpus of another size or seed is regenerated
 *   --seed S       generator seed (default "trailhound-bench")
 *   --regenerate   regenerate the corpus even if bench/out/ holds a matching one
 *   --findings     keep detect's output in bench/out/findings.json (instead of /dev/null) and count findings by type
 *
 * Writes bench/out/results.json. See bench/README.md.
 */

import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs as parseCliArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import ts from 'typescript';
import { type Ip, parseIp } from '../src/core/ip.js';
import { resolveAwsRanges } from '../src/intel/aws-ranges.js';
import { Intel } from '../src/intel/intel.js';
import { type IpList, loadIpList } from '../src/intel/threat-list.js';
import type { DetectChildResult } from './detect-child.js';
import { CORPUS_VERSION, type CorpusSummary, DEFAULT_EVENTS, DEFAULT_SEED, MANIFEST, Rng } from './generate-cloudtrail.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'bench', 'out');
const LOGS = join(OUT, 'AWSLogs');
const LIST_A = join(OUT, 'threat-list-a.txt');
const LIST_B = join(OUT, 'threat-list-b.txt');
const CLI_MAIN = join(ROOT, 'dist', 'cli', 'main.js');
const LOOKUPS = 1_000_000;

interface Options {
  events: number;
  seed: string;
  regenerate: boolean;
  findings: boolean;
}

/** Command-line options, parsed with node:util's parseArgs (strict: an unknown flag is an error). */
function parseArgs(argv: string[]): Options {
  const { values } = parseCliArgs({
    args: argv,
    options: {
      events: { type: 'string', default: String(DEFAULT_EVENTS) },
      seed: { type: 'string', default: DEFAULT_SEED },
      regenerate: { type: 'boolean', default: false },
      findings: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write('usage: npm run bench -- [--events N] [--seed S] [--regenerate] [--findings]\n');
    process.exit(0);
  }
  const events = Number((values.events as string).replaceAll('_', ''));
  if (!Number.isInteger(events) || events < 1) throw new Error('--events must be a positive integer');
  return { events, seed: values.seed as string, regenerate: values.regenerate === true, findings: values.findings === true };
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

function run(
  cmd: string,
  args: string[],
  opts: { stdout?: number | 'inherit'; stderr?: number | 'inherit'; env?: NodeJS.ProcessEnv },
): Promise<{ code: number | null; ms: number }> {
  return new Promise((resolvePromise, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', opts.stdout ?? 'inherit', opts.stderr ?? 'inherit'], env: opts.env ?? process.env });
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, ms: performance.now() - t0 }));
  });
}

function readManifest(): CorpusSummary | undefined {
  const path = join(OUT, MANIFEST);
  if (!existsSync(path) || !existsSync(LOGS) || !existsSync(LIST_A) || !existsSync(LIST_B)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as CorpusSummary;
  } catch {
    return undefined;
  }
}

/** The files under a directory, walked in sorted order as `trailhound detect` does. */
function listFiles(dir: string, out: string[] = []): string[] {
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const full = join(dir, e.name);
    if (e.isDirectory()) listFiles(full, out);
    else if (e.isFile()) out.push(full);
  }
  return out;
}

interface Baseline {
  wallMs: number;
  files: number;
  events: number;
  bytesCompressed: number;
  bytesUncompressed: number;
}

/** Read every file, gunzip, JSON.parse: the least any tool must do with this corpus. One thread, nothing else. */
function baseline(): Baseline {
  const t0 = performance.now();
  const files = listFiles(LOGS);
  let events = 0;
  let bytesCompressed = 0;
  let bytesUncompressed = 0;
  for (const file of files) {
    const raw = readFileSync(file);
    const body = gunzipSync(raw);
    const doc = JSON.parse(body.toString('utf8')) as { Records: unknown[] };
    events += doc.Records.length;
    bytesCompressed += raw.length;
    bytesUncompressed += body.length;
  }
  return { wallMs: performance.now() - t0, files: files.length, events, bytesCompressed, bytesUncompressed };
}

interface DetectRun {
  /** Spawn to exit, as seen by this process (includes Node start-up). */
  wallMs: number;
  child: DetectChildResult;
  stderrPath: string;
  stderrTail: string;
  findings?: { total: number; byType: Record<string, number> };
}

async function detect(keepFindings: boolean): Promise<DetectRun> {
  // The wrapper is transpiled to plain JS and run without a TypeScript loader, so nothing but the CLI is measured.
  const source = readFileSync(join(ROOT, 'bench', 'detect-child.ts'), 'utf8');
  const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
  const wrapper = join(OUT, 'detect-child.mjs');
  writeFileSync(wrapper, js);
  const resultPath = join(OUT, 'detect-result.json');
  const stderrPath = join(OUT, 'detect-stderr.log');
  const findingsPath = join(OUT, 'findings.json');
  writeFileSync(resultPath, '');
  const args = ['detect', '--format', 'json', '--threat-list', `A=${rel(LIST_A)}`, '--threat-list', `B=${rel(LIST_B)}`, rel(LOGS)];
  log(`detect: node ${rel(wrapper)} ${args.join(' ')} > ${keepFindings ? rel(findingsPath) : '/dev/null'} 2> ${rel(stderrPath)}`);
  const stdoutFd = openSync(keepFindings ? findingsPath : '/dev/null', 'w');
  const stderrFd = openSync(stderrPath, 'w');
  let res: { code: number | null; ms: number };
  try {
    res = await run(process.execPath, [wrapper, ...args], {
      stdout: stdoutFd,
      stderr: stderrFd,
      env: { ...process.env, BENCH_RESULT: resultPath, BENCH_MAIN: CLI_MAIN },
    });
  } finally {
    closeSync(stdoutFd);
    closeSync(stderrFd);
  }
  const line = readFileSync(resultPath, 'utf8').trim();
  const stderrText = readFileSync(stderrPath, 'utf8');
  const stderrTail = stderrText.split('\n').filter(Boolean).slice(-5).join('\n');
  if (!line) throw new Error(`detect wrapper exited with ${res.code} without a result; stderr:\n${stderrTail}`);
  const child = JSON.parse(line) as DetectChildResult;
  if (child.error) throw new Error(`detect failed: ${child.error}`);
  const out: DetectRun = { wallMs: res.ms, child, stderrPath, stderrTail };
  if (keepFindings) {
    const findings = JSON.parse(readFileSync(findingsPath, 'utf8')) as Array<{ type?: string }>;
    const byType: Record<string, number> = {};
    for (const f of findings) byType[f.type ?? '?'] = (byType[f.type ?? '?'] ?? 0) + 1;
    out.findings = { total: findings.length, byType };
  }
  return out;
}

function rel(path: string): string {
  return relative(ROOT, path) || '.';
}

interface ListBench {
  loadMs: { A: number; B: number };
  entries: { A: number; B: number };
  awsRangesMs: number;
  intelBuildMs: number;
  lookupNs: { lists250k: number; lists10: number };
  ratio: number;
  prefixLengths: { lists250k: number; lists10: number };
  hits: { lists250k: number; lists10: number };
}

/** Addresses to look up: mostly random public addresses, ~1% listed addresses, ~1% inside listed CIDRs. */
function lookupPool(a: IpList): string[] {
  const rng = new Rng('bench-lookups');
  const singles = a.entries.filter((e) => e.v === 4 && e.len === 32);
  const nets = a.entries.filter((e) => e.v === 4 && e.len < 32);
  const text = (n: number) => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
  const pool: string[] = [];
  for (let i = 0; i < 10_000; i++) {
    const r = rng.float();
    if (r < 0.01 && singles.length > 0) pool.push(text(rng.pick(singles).n as number));
    else if (r < 0.02 && nets.length > 0) {
      const net = rng.pick(nets);
      pool.push(text((net.n as number) + rng.int(2 ** (32 - net.len))));
    } else pool.push(text(((rng.between(1, 223) << 24) >>> 0) + rng.int(1 << 24)));
  }
  return pool;
}

function timeLookups(intel: Intel, pool: string[], n: number): { ns: number; hits: number } {
  let hits = 0;
  const len = pool.length;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const ip = parseIp(pool[i % len] as string) as Ip;
    if (intel.threat(ip)) hits++;
  }
  const ns = Number(process.hrtime.bigint() - t0) / n;
  return { ns, hits };
}

function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)] as number;
}

async function threatListBench(): Promise<ListBench> {
  let t0 = performance.now();
  const a = await loadIpList(`A=${LIST_A}`);
  const loadA = performance.now() - t0;
  t0 = performance.now();
  const b = await loadIpList(`B=${LIST_B}`);
  const loadB = performance.now() - t0;
  t0 = performance.now();
  const aws = await resolveAwsRanges(undefined);
  const awsRangesMs = performance.now() - t0;
  t0 = performance.now();
  const big = new Intel(aws, [a, b]);
  const intelBuildMs = performance.now() - t0;
  // "A list of 10 entries": the first 10 lines of each file.
  const small = new Intel(aws, [
    { ...a, entries: a.entries.slice(0, 10) },
    { ...b, entries: b.entries.slice(0, 10) },
  ]);
  const pool = lookupPool(a);
  timeLookups(small, pool, 200_000);
  timeLookups(big, pool, 200_000);
  const bigNs: number[] = [];
  const smallNs: number[] = [];
  let bigHits = 0;
  let smallHits = 0;
  for (let round = 0; round < 3; round++) {
    const s = timeLookups(small, pool, LOOKUPS);
    const l = timeLookups(big, pool, LOOKUPS);
    smallNs.push(s.ns);
    bigNs.push(l.ns);
    smallHits = s.hits;
    bigHits = l.hits;
  }
  const lens = (lists: IpList[]) => new Set(lists.flatMap((l) => l.entries.map((e) => `${e.v}/${e.len}`))).size;
  const lookupNs = { lists250k: median(bigNs), lists10: median(smallNs) };
  return {
    loadMs: { A: loadA, B: loadB },
    entries: { A: a.entries.length, B: b.entries.length },
    awsRangesMs,
    intelBuildMs,
    lookupNs,
    ratio: lookupNs.lists250k / lookupNs.lists10,
    prefixLengths: {
      lists250k: lens([a, b]),
      lists10: lens([
        { ...a, entries: a.entries.slice(0, 10) },
        { ...b, entries: b.entries.slice(0, 10) },
      ]),
    },
    hits: { lists250k: bigHits, lists10: smallHits },
  };
}

function distStaleness(): string | undefined {
  if (!existsSync(CLI_MAIN)) return undefined;
  const built = statSync(CLI_MAIN).mtimeMs;
  const newer = listFiles(join(ROOT, 'src')).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && statSync(f).mtimeMs > built);
  return newer.length > 0
    ? `${newer.length} file(s) in src/ are newer than dist/ (e.g. ${rel(newer[0] as string)}); run \`npm run build\` to measure current code`
    : undefined;
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const mb = (bytes: number) => bytes / 1e6;

async function mainBench(): Promise<number> {
  const opts = parseArgs(process.argv.slice(2));
  const cpu = cpus()[0]?.model ?? 'unknown';
  log(`trailhound bench: node ${process.version}, ${cpu} (${cpus().length} CPUs)`);

  // 1. Corpus.
  let manifest = readManifest();
  let generationMs: number | undefined;
  const reason = opts.regenerate
    ? '--regenerate'
    : !manifest
      ? 'no corpus in bench/out'
      : manifest.version !== CORPUS_VERSION
        ? `corpus in bench/out is from generator version ${manifest.version}, not ${CORPUS_VERSION}`
        : manifest.events !== opts.events || manifest.seed !== opts.seed
          ? `corpus in bench/out has ${manifest.events} events, seed ${JSON.stringify(manifest.seed)}`
          : undefined;
  if (reason) {
    log(`generating ${fmt(opts.events)} events (${reason})`);
    const gen = await run(
      process.execPath,
      ['--import', 'tsx', join('bench', 'generate-cloudtrail.ts'), '--events', String(opts.events), '--seed', opts.seed, '--out', rel(OUT)],
      {
        stdout: 'inherit',
        stderr: 'inherit',
      },
    );
    if (gen.code !== 0) throw new Error(`generator exited with ${gen.code}`);
    generationMs = gen.ms;
    manifest = readManifest();
    if (!manifest) throw new Error('generator did not write bench/out/corpus.json');
  } else log(`using the corpus in ${rel(OUT)} (${fmt(opts.events)} events, seed ${JSON.stringify(opts.seed)}; --regenerate to rebuild)`);
  if (!manifest) throw new Error('no corpus manifest');
  const corpus: CorpusSummary = manifest;

  // 2. Baseline, after one untimed read of every file so both measurements start from a warm page cache.
  log('warming the page cache');
  for (const f of listFiles(LOGS)) readFileSync(f);
  log('baseline: read + gunzipSync + JSON.parse, one thread');
  const base = baseline();
  if (base.events !== corpus.events) log(`warning: baseline read ${base.events} events, the manifest says ${corpus.events}`);
  const baseEps = base.events / (base.wallMs / 1000);
  const baseMbps = mb(base.bytesUncompressed) / (base.wallMs / 1000);
  log(`  ${fmt(base.wallMs / 1000, 2)} s, ${fmt(baseEps)} events/s, ${fmt(baseMbps, 1)} MB/s`);

  // 3. detect.
  let det: DetectRun | undefined;
  let detectSkipped: string | undefined;
  if (!existsSync(CLI_MAIN)) {
    detectSkipped = `${rel(CLI_MAIN)} does not exist: run \`npm run build\` first`;
    log(`detect: skipped (${detectSkipped})`);
  } else {
    const stale = distStaleness();
    if (stale) log(`warning: ${stale}`);
    det = await detect(opts.findings);
    log(`  ${fmt(det.wallMs / 1000, 2)} s, exit code ${det.child.exitCode}, peak RSS ${fmt(det.child.maxRssKb / 1024)} MiB`);
    if (det.child.exitCode !== 0) log(`  detect stderr (last lines, full log in ${rel(det.stderrPath)}):\n${det.stderrTail}`);
  }

  // 4. Threat lists.
  log(`threat lists: load 2 x ${fmt(corpus.threatLists.entries)} entries, ${fmt(LOOKUPS)} lookups against 250k-entry and 10-entry lists`);
  const lists = await threatListBench();

  // 5. Report.
  const detEps = det ? base.events / (det.wallMs / 1000) : undefined;
  const detMbps = det ? mb(base.bytesUncompressed) / (det.wallMs / 1000) : undefined;
  const results = {
    date: new Date().toISOString(),
    node: process.version,
    cpu,
    cpus: cpus().length,
    platform: `${process.platform} ${process.arch}`,
    totalMemoryGiB: Number((totalmem() / 2 ** 30).toFixed(1)),
    corpus: {
      events: base.events,
      files: base.files,
      mbCompressed: Number(mb(base.bytesCompressed).toFixed(1)),
      mbUncompressed: Number(mb(base.bytesUncompressed).toFixed(1)),
      seed: corpus.seed,
      attackEvents: corpus.attack.events,
      generatedThisRun: generationMs !== undefined,
      ...(generationMs !== undefined ? { generationMs: Math.round(generationMs) } : {}),
    },
    baseline: { wallMs: Math.round(base.wallMs), eventsPerSec: Math.round(baseEps), mbPerSec: Number(baseMbps.toFixed(1)) },
    detect:
      det && detEps !== undefined && detMbps !== undefined
        ? {
            wallMs: Math.round(det.wallMs),
            mainMs: det.child.mainMs,
            eventsPerSec: Math.round(detEps),
            mbPerSec: Number(detMbps.toFixed(1)),
            /** detect events/s ÷ baseline events/s (1 = as fast as just reading and parsing). */
            ratioToBaseline: Number((detEps / baseEps).toFixed(3)),
            /** detect wall time ÷ baseline wall time. */
            slowdown: Number((det.wallMs / base.wallMs).toFixed(2)),
            peakRssMiB: Math.round(det.child.maxRssKb / 1024),
            userCpuMs: det.child.userCpuMs,
            systemCpuMs: det.child.systemCpuMs,
            exitCode: det.child.exitCode,
            stderr: rel(det.stderrPath),
            ...(det.findings ? { findings: det.findings } : {}),
          }
        : { skipped: detectSkipped },
    threatLists: {
      entries: lists.entries,
      loadMs: { A: Math.round(lists.loadMs.A), B: Math.round(lists.loadMs.B) },
      awsRangesMs: Math.round(lists.awsRangesMs),
      intelBuildMs: Math.round(lists.intelBuildMs),
      lookups: LOOKUPS,
      lookupNs: { lists250k: Number(lists.lookupNs.lists250k.toFixed(1)), lists10: Number(lists.lookupNs.lists10.toFixed(1)) },
      /** ns per lookup with 250k-entry lists ÷ ns per lookup with 10-entry lists. */
      lookupRatio: Number(lists.ratio.toFixed(2)),
      distinctPrefixLengths: lists.prefixLengths,
    },
  };
  writeFileSync(join(OUT, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);

  const rows: Array<[string, string]> = [
    ['node / CPU', `${process.version} / ${cpu} (${cpus().length} CPUs)`],
    [
      'corpus',
      `${fmt(base.events)} events, ${fmt(base.files)} files, ${fmt(mb(base.bytesUncompressed), 1)} MB uncompressed (${fmt(mb(base.bytesCompressed), 1)} MB gzip)`,
    ],
    ['baseline (read+gunzip+parse)', `${fmt(base.wallMs / 1000, 2)} s   ${fmt(baseEps)} events/s   ${fmt(baseMbps, 1)} MB/s`],
  ];
  if (det && detEps !== undefined && detMbps !== undefined) {
    rows.push(
      ['detect', `${fmt(det.wallMs / 1000, 2)} s   ${fmt(detEps)} events/s   ${fmt(detMbps, 1)} MB/s   (main() ${fmt((det.child.mainMs ?? 0) / 1000, 2)} s)`],
      ['detect / baseline', `${fmt(detEps / baseEps, 3)} of baseline throughput (${fmt(det.wallMs / base.wallMs, 2)}x the baseline time)`],
      [
        'detect peak RSS',
        `${fmt(det.child.maxRssKb / 1024)} MiB   (CPU user ${fmt(det.child.userCpuMs / 1000, 1)} s, sys ${fmt(det.child.systemCpuMs / 1000, 1)} s)`,
      ],
    );
    if (det.findings)
      rows.push([
        'findings',
        `${det.findings.total}: ${Object.entries(det.findings.byType)
          .map(([t, n]) => `${t} ${n}`)
          .join(', ')}`,
      ]);
  } else rows.push(['detect', `skipped: ${detectSkipped}`]);
  rows.push(
    [
      'threat list load',
      `A ${fmt(lists.loadMs.A)} ms, B ${fmt(lists.loadMs.B)} ms (${fmt(lists.entries.A)} / ${fmt(lists.entries.B)} entries); Intel build ${fmt(lists.intelBuildMs)} ms`,
    ],
    ['lookup, 2 x 250k lists', `${fmt(lists.lookupNs.lists250k, 1)} ns  (${lists.prefixLengths.lists250k} distinct prefix lengths)`],
    ['lookup, 2 x 10 lists', `${fmt(lists.lookupNs.lists10, 1)} ns  (${lists.prefixLengths.lists10} distinct prefix lengths)`],
    ['lookup ratio 250k / 10', fmt(lists.ratio, 2)],
  );
  const width = Math.max(...rows.map(([k]) => k.length));
  process.stdout.write(`\n${rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')}\n\nresults: ${rel(join(OUT, 'results.json'))}\n`);
  return det ? 0 : 1;
}

try {
  process.exitCode = await mainBench();
} catch (err) {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
