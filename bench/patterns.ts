/**
 * `npm run bench:patterns`: throughput and at-scale correctness of the EventBridge pattern engine (src/bus/pattern/,
 * `RuleMatcher`) on the synthetic citylots file, beside event-ruler's figures measured on the same kind of machine
 * (shared/reference/eventbridge.md §3, shared/bench/eventbridge/).
 *
 * Usage: node --import tsx bench/patterns.ts [--large] [--events N] [--seed S] [--regenerate] [--passes N]
 *                                            [--scaling-passes N] [--shared DIR]
 *   --large              also run the 100,000-rule exact-rule scaling point
 *   --events N, --seed S generator size and seed (defaults: 213068 and 20240601, event-ruler's run); with other values
 *                        the match counts are not checked (event-ruler's counts are for the default file only)
 *   --regenerate         regenerate the synthetic file even if bench/out/ holds a matching one
 *   --passes N           measured passes per rule set (default 3, after 1 warm-up pass)
 *   --scaling-passes N   measured passes per scaling point (default 3, after 1 warm-up pass)
 *   --shared DIR         event-ruler's inputs (default ../shared/bench/eventbridge from the repository root)
 *
 * Every event is matched FROM ITS JSON TEXT (`matcher.match(line)`), as event-ruler's numbers include parsing.
 * Writes bench/out/patterns-results.json; exit code 1 if any match count differs from event-ruler's. See
 * bench/patterns-README.md.
 */

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs as parseCliArgs } from 'node:util';
import ts from 'typescript';

type Engine = typeof import('../src/bus/pattern/index.js');
type RuleMatcher = InstanceType<Engine['RuleMatcher']>;

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'bench', 'out');
const DEFAULT_EVENTS = 213_068;
const DEFAULT_SEED = 20_240_601;
const SCALING_SIZES = [1, 100, 1_000, 10_000];
const SCALING_LARGE = 100_000;
const SCALING_RULE_SEED = 0x5ca1ab1e;

type EngineKind = 'transpiled' | 'dist' | 'tsx';

interface Options {
  engine: EngineKind;
  large: boolean;
  events: number;
  seed: number;
  regenerate: boolean;
  passes: number;
  scalingPasses: number;
  shared: string;
}

/** Command-line options, parsed with node:util's parseArgs (strict: an unknown flag is an error). */
function parseArgs(argv: string[]): Options {
  const { values: v } = parseCliArgs({
    args: argv,
    options: {
      large: { type: 'boolean', default: false },
      regenerate: { type: 'boolean', default: false },
      events: { type: 'string', default: String(DEFAULT_EVENTS) },
      seed: { type: 'string', default: String(DEFAULT_SEED) },
      passes: { type: 'string', default: '3' },
      'scaling-passes': { type: 'string', default: '3' },
      shared: { type: 'string', default: resolve(ROOT, '..', 'shared', 'bench', 'eventbridge') },
      engine: { type: 'string', default: 'transpiled' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (v.help) {
    process.stdout.write(
      'usage: npm run bench:patterns -- [--large] [--events N] [--seed S] [--regenerate] [--passes N] [--scaling-passes N] [--shared DIR] [--engine transpiled|dist|tsx]\n',
    );
    process.exit(0);
  }
  const int = (flag: string, text: string, min: number): number => {
    const n = Number(text.replaceAll('_', ''));
    if (!Number.isInteger(n) || n < min) throw new Error(`--${flag} must be an integer >= ${min}`);
    return n;
  };
  const engine = v.engine as string;
  if (engine !== 'transpiled' && engine !== 'dist' && engine !== 'tsx') throw new Error('--engine must be transpiled, dist or tsx');
  return {
    engine,
    large: v.large === true,
    regenerate: v.regenerate === true,
    events: int('events', v.events as string, 1),
    seed: int('seed', v.seed as string, 0),
    passes: int('passes', v.passes as string, 1),
    scalingPasses: int('scaling-passes', v['scaling-passes'] as string, 1),
    shared: resolve(v.shared as string),
  };
}

function log(line = ''): void {
  process.stdout.write(`${line}\n`);
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

// ---------------------------------------------------------------------------------------------------------------
// The engine under test

/**
 * The pattern engine as it ships: plain JavaScript, not the TypeScript source run through tsx. tsx (esbuild with
 * keepNames) wraps every function expression in a `__name(fn, "...")` call; inner closures created per call (the
 * number scanner's helpers in json-tokens.ts, for one) then pay an Object.defineProperty each time, which made
 * matching from text about 2.5x slower than the compiled code in a trial. So, by default, src/bus/pattern/index.ts and
 * everything it imports (relative imports, followed transitively) are transpiled with TypeScript's transpileModule
 * (as tsc would emit them: ES2022, ESM) into bench/out/engine/, mirroring the repository layout, and imported from
 * there. `--engine dist` imports dist/bus/pattern/index.js (the last `npm run build`; may be stale); `--engine tsx`
 * imports the source through tsx, to see the loader's cost.
 */
async function loadEngine(kind: EngineKind): Promise<{ engine: Engine; from: string; files: number }> {
  if (kind === 'tsx') {
    const engine = (await import('../src/bus/pattern/index.js')) as Engine;
    return { engine, from: 'src/bus/pattern/index.ts (through tsx)', files: 0 };
  }
  if (kind === 'dist') {
    const entry = join(ROOT, 'dist', 'bus', 'pattern', 'index.js');
    if (!existsSync(entry)) throw new Error(`${relative(ROOT, entry)} does not exist: run npm run build, or use --engine transpiled`);
    const srcDir = join(ROOT, 'src', 'bus', 'pattern');
    const newest = Math.max(...readdirSync(srcDir).map((f) => statSync(join(srcDir, f)).mtimeMs));
    if (newest > statSync(entry).mtimeMs) log(`warning: src/bus/pattern/ is newer than ${relative(ROOT, entry)}; dist/ may be stale (npm run build)`);
    const engine = (await import(pathToFileURL(entry).href)) as Engine;
    return { engine, from: relative(ROOT, entry), files: 0 };
  }
  const out = join(OUT, 'engine');
  rmSync(out, { recursive: true, force: true });
  const todo = [join(ROOT, 'src', 'bus', 'pattern', 'index.ts')];
  const done = new Set<string>();
  while (todo.length > 0) {
    const file = todo.pop() as string;
    if (done.has(file)) continue;
    done.add(file);
    const text = readFileSync(file, 'utf8');
    for (const imp of ts.preProcessFile(text, true, true).importedFiles) {
      if (imp.fileName.startsWith('.')) todo.push(resolve(dirname(file), imp.fileName.replace(/\.js$/, '.ts')));
    }
    const js = ts.transpileModule(text, {
      compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, useDefineForClassFields: true },
      fileName: file,
    });
    const dest = join(out, relative(ROOT, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(dest), { recursive: true });
    writeFileSync(dest, js.outputText);
  }
  const entry = join(out, 'src', 'bus', 'pattern', 'index.js');
  const engine = (await import(pathToFileURL(entry).href)) as Engine;
  return { engine, from: `src/bus/pattern/ transpiled to ${relative(ROOT, out)}/`, files: done.size };
}

let engine: Engine;

// ---------------------------------------------------------------------------------------------------------------
// Inputs

interface RuleSet {
  type: string;
  rules: string[];
}

interface ErType {
  type: string;
  bestEventsPerSec: number;
  meanEventsPerSec: number;
  matches: number[];
}

interface ErResults {
  events: number;
  java?: string;
  cpus?: number;
  warmupPasses?: number;
  measuredPasses?: number;
  ruleTypes: ErType[];
  combo?: { rules: number; bestEventsPerSec: number; meanEventsPerSec: number };
  exactRuleScaling?: Array<{ rules: number; bestEventsPerSec: number; meanEventsPerSec: number }>;
}

interface SynthManifest {
  events: number;
  seed: number;
  bytes: number;
  generatorSha256: string;
}

/** The synthetic file for (events, seed), generated with the shared Python generator when missing or stale. */
function ensureSynth(opts: Options): string {
  const generator = join(opts.shared, 'gen_citylots_synth.py');
  const isDefault = opts.events === DEFAULT_EVENTS && opts.seed === DEFAULT_SEED;
  const base = isDefault ? 'citylots-synth' : `citylots-synth-${opts.events}-${opts.seed}`;
  const file = join(OUT, `${base}.jsonl`);
  const manifestPath = join(OUT, `${base}.json`);
  const generatorSha256 = createHash('sha256').update(readFileSync(generator)).digest('hex');
  if (!opts.regenerate && existsSync(file) && existsSync(manifestPath)) {
    try {
      const m = JSON.parse(readFileSync(manifestPath, 'utf8')) as SynthManifest;
      if (m.events === opts.events && m.seed === opts.seed && m.generatorSha256 === generatorSha256 && m.bytes === statSync(file).size) return file;
    } catch {
      // fall through and regenerate
    }
  }
  mkdirSync(OUT, { recursive: true });
  const tmp = `${file}.tmp`;
  log(`generating ${relative(ROOT, file)} (python3 ${relative(ROOT, generator)} ${opts.events} ${opts.seed}) ...`);
  const t0 = performance.now();
  const r = spawnSync('python3', [generator, tmp, String(opts.events), String(opts.seed)], { stdio: 'inherit' });
  if (r.error) throw new Error(`cannot run python3: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`gen_citylots_synth.py exited with ${r.status}`);
  renameSync(tmp, file);
  const manifest: SynthManifest = { events: opts.events, seed: opts.seed, bytes: statSync(file).size, generatorSha256 };
  writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  log(`  done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return file;
}

function readLines(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

// ---------------------------------------------------------------------------------------------------------------
// Measurement

interface Throughput {
  warmupMs: number;
  passesMs: number[];
  bestEventsPerSec: number;
  meanEventsPerSec: number;
}

interface Named {
  name: string;
  pattern: string;
}

interface MatchRun extends Throughput {
  buildMs: number;
  /** Per rule, in the order given. */
  matches: number[];
  /** Whether every pass produced the same counts. */
  stable: boolean;
}

/** One pass: every event from JSON text to verdict, counting matches per rule index. */
function pass(matcher: RuleMatcher, lines: string[], index: Map<string, number>, counts: Int32Array): number {
  counts.fill(0);
  const t0 = performance.now();
  for (let i = 0; i < lines.length; i++) {
    const names = matcher.match(lines[i]);
    for (let j = 0; j < names.length; j++) {
      const k = index.get(names[j] as string) as number;
      counts[k] = (counts[k] as number) + 1;
    }
  }
  return performance.now() - t0;
}

function summarize(events: number, warmupMs: number, passesMs: number[]): Throughput {
  const best = Math.min(...passesMs);
  const rates = passesMs.map((ms) => events / (ms / 1000));
  return {
    warmupMs,
    passesMs,
    bestEventsPerSec: events / (best / 1000),
    meanEventsPerSec: rates.reduce((a, b) => a + b, 0) / rates.length,
  };
}

function runMatcher(rules: Named[], lines: string[], passes: number): MatchRun {
  const tb = performance.now();
  const matcher = new engine.RuleMatcher();
  for (const r of rules) matcher.add(r.name, r.pattern);
  const buildMs = performance.now() - tb;
  const index = new Map(rules.map((r, i) => [r.name, i]));
  const counts = new Int32Array(rules.length);
  const warmupMs = pass(matcher, lines, index, counts);
  const first = Array.from(counts);
  let stable = true;
  const passesMs: number[] = [];
  for (let p = 0; p < passes; p++) {
    passesMs.push(pass(matcher, lines, index, counts));
    if (counts.some((c, i) => c !== first[i])) stable = false;
  }
  return { ...summarize(lines.length, warmupMs, passesMs), buildMs, matches: first, stable };
}

/** The machine's speed for the unavoidable part: JSON.parse of every line, nothing else. */
function parseBaseline(lines: string[], passes: number): Throughput {
  let sink = 0;
  const one = (): number => {
    const t0 = performance.now();
    for (let i = 0; i < lines.length; i++) {
      const o = JSON.parse(lines[i] as string) as { type?: string };
      if (o.type !== undefined) sink++;
    }
    return performance.now() - t0;
  };
  const warmupMs = one();
  const passesMs: number[] = [];
  for (let p = 0; p < passes; p++) passesMs.push(one());
  if (sink < 0) log('unreachable');
  return summarize(lines.length, warmupMs, passesMs);
}

// ---------------------------------------------------------------------------------------------------------------
// Mismatch diagnosis

interface Mismatch {
  scope: string;
  type: string;
  rule: number;
  pattern: string;
  expected: number;
  got: number;
  /** `matchesPattern` (one pattern, no index) over the whole file. */
  matchesPatternCount?: number;
  /** Events where RuleMatcher and matchesPattern disagree (up to 3). */
  samples?: Array<{ line: number; ruleMatcher: boolean; matchesPattern: boolean; event: string }>;
}

function diagnose(m: Mismatch, lines: string[]): void {
  const matcher = new engine.RuleMatcher();
  matcher.add('r', m.pattern);
  let count = 0;
  const samples: NonNullable<Mismatch['samples']> = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const viaPattern = engine.matchesPattern(m.pattern, line);
    if (viaPattern) count++;
    const viaMatcher = matcher.match(line).length > 0;
    if (viaPattern !== viaMatcher && samples.length < 3) samples.push({ line: i + 1, ruleMatcher: viaMatcher, matchesPattern: viaPattern, event: line });
  }
  m.matchesPatternCount = count;
  m.samples = samples;
}

// ---------------------------------------------------------------------------------------------------------------
// Exact-rule scaling

/** sfc32: a small seeded PRNG, so the scaling rules are the same on every run. */
function sfc32(seed: number): () => number {
  let a = 0x9e3779b9;
  let b = 0x243f6a88;
  let c = 0xb7e15162;
  let d = seed >>> 0;
  const next = (): number => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 15; i++) next();
  return next;
}

/**
 * N exact rules of 2 fields each: `{"properties":{"MAPBLKLOT":[v1],"STREET":[v2]}}`, (v1, v2) taken from an event of
 * the file picked by a seeded PRNG, so each rule matches at least that event (mostly only that one: MAPBLKLOT has
 * ~2.4M possible values). event-ruler's generator for its scaling rules is not described, so match counts are not
 * comparable with its run; only the shape (N exact rules × 2 fields on the same file) is.
 */
function scalingRules(n: number, lines: string[]): Named[] {
  const rnd = sfc32(SCALING_RULE_SEED);
  const rules: Named[] = [];
  for (let i = 0; i < n; i++) {
    const ev = JSON.parse(lines[Math.floor(rnd() * lines.length)] as string) as { properties: { MAPBLKLOT: string; STREET: string } };
    const pattern = JSON.stringify({ properties: { MAPBLKLOT: [ev.properties.MAPBLKLOT], STREET: [ev.properties.STREET] } });
    rules.push({ name: `exact-${i}`, pattern });
  }
  return rules;
}

// ---------------------------------------------------------------------------------------------------------------

function table(rows: string[][], rightAlign: (col: number) => boolean): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows
    .map((r, ri) => {
      const cells = r.map((cell, c) => (rightAlign(c) && ri > 0 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)));
      const line = cells.join('  ').trimEnd();
      return ri === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
    })
    .join('\n');
}

const ratio = (ours: number, theirs: number | undefined): number | null => (theirs ? ours / theirs : null);
const fmtRatio = (r: number | null): string => (r === null ? '-' : r.toFixed(2));

async function main(): Promise<number> {
  const tStart = performance.now();
  const opts = parseArgs(process.argv.slice(2));
  const cpu = cpus()[0]?.model ?? 'unknown';
  log(`trailhound bench:patterns: node ${process.version}, ${cpu} (${cpus().length} CPUs)`);
  const loaded = await loadEngine(opts.engine);
  engine = loaded.engine;
  log(`engine: ${loaded.from}${loaded.files ? ` (${loaded.files} files)` : ''}`);

  const ruleSets = JSON.parse(readFileSync(join(opts.shared, 'benchmark-rules.json'), 'utf8')) as RuleSet[];
  const er = JSON.parse(readFileSync(join(opts.shared, 'eventruler-results.json'), 'utf8')) as ErResults;
  const erByType = new Map(er.ruleTypes.map((t) => [t.type, t]));
  const comparable = opts.events === er.events && opts.seed === DEFAULT_SEED;

  const file = ensureSynth(opts);
  const tRead = performance.now();
  const lines = readLines(file);
  const bytes = statSync(file).size;
  log(
    `events: ${fmt(lines.length)} from ${relative(ROOT, file)} (${(bytes / 1e6).toFixed(1)} MB, avg ${Math.round(bytes / lines.length)} B), read in ${fmt(performance.now() - tRead)} ms`,
  );
  if (lines.length !== opts.events) throw new Error(`${file} has ${lines.length} lines, expected ${opts.events}`);
  if (!comparable) log("note: not event-ruler's file (other --events or --seed): match counts are not checked");
  log(`passes: 1 warm-up + ${opts.passes} measured per rule set; 1 warm-up + ${opts.scalingPasses} measured per scaling point`);
  log();

  const baseline = parseBaseline(lines, opts.passes);
  log(`baseline JSON.parse only: best ${fmt(baseline.bestEventsPerSec)} ev/s, mean ${fmt(baseline.meanEventsPerSec)} ev/s`);
  log();

  const mismatches: Mismatch[] = [];
  const typeResults: Array<Record<string, unknown>> = [];
  const perType = new Map<string, number[]>();
  for (const set of ruleSets) {
    const rules = set.rules.map((pattern, i) => ({ name: `${set.type}#${i}`, pattern }));
    const r = runMatcher(rules, lines, opts.passes);
    perType.set(set.type, r.matches);
    const ref = erByType.get(set.type);
    let check = 'n/a';
    if (comparable && ref) {
      check = 'MATCH';
      r.matches.forEach((got, i) => {
        const expected = ref.matches[i];
        if (expected !== got) {
          check = 'MISMATCH';
          mismatches.push({ scope: 'rule type', type: set.type, rule: i, pattern: set.rules[i] as string, expected: expected ?? -1, got });
        }
      });
    }
    if (!r.stable) check += ' (UNSTABLE)';
    log(
      `${set.type.padEnd(26)} best ${fmt(r.bestEventsPerSec).padStart(9)} ev/s  mean ${fmt(r.meanEventsPerSec).padStart(9)} ev/s  matches ${r.matches.join(',')}  ${check}`,
    );
    typeResults.push({
      type: set.type,
      buildMs: r.buildMs,
      warmupMs: r.warmupMs,
      passesMs: r.passesMs,
      bestEventsPerSec: r.bestEventsPerSec,
      meanEventsPerSec: r.meanEventsPerSec,
      matches: r.matches,
      stable: r.stable,
      eventRuler: ref ?? null,
      ratioBest: ratio(r.bestEventsPerSec, ref?.bestEventsPerSec),
      ratioMean: ratio(r.meanEventsPerSec, ref?.meanEventsPerSec),
      check,
    });
  }

  // All 70 rules in one matcher: throughput, and each rule's count must equal its count in its own matcher.
  const allRules = ruleSets.flatMap((set) => set.rules.map((pattern, i) => ({ name: `${set.type}#${i}`, pattern })));
  const combo = runMatcher(allRules, lines, opts.passes);
  let comboCheck = 'MATCH';
  let k = 0;
  for (const set of ruleSets) {
    const own = perType.get(set.type) ?? [];
    const ref = erByType.get(set.type);
    set.rules.forEach((pattern, i) => {
      const got = combo.matches[k++] as number;
      const expected = comparable && ref ? (ref.matches[i] as number) : (own[i] as number);
      if (got !== expected) {
        comboCheck = 'MISMATCH';
        mismatches.push({ scope: 'all rules in one matcher', type: set.type, rule: i, pattern, expected, got });
      }
    });
  }
  if (!combo.stable) comboCheck += ' (UNSTABLE)';
  log(
    `${`ALL ${allRules.length} RULES`.padEnd(26)} best ${fmt(combo.bestEventsPerSec).padStart(9)} ev/s  mean ${fmt(combo.meanEventsPerSec).padStart(9)} ev/s  ${comboCheck}`,
  );
  log();

  // Exact-rule scaling.
  const sizes = opts.large ? [...SCALING_SIZES, SCALING_LARGE] : SCALING_SIZES;
  const erScaling = new Map((er.exactRuleScaling ?? []).map((s) => [s.rules, s]));
  const scaling: Array<Record<string, unknown>> = [];
  for (const n of sizes) {
    const rules = scalingRules(n, lines);
    const r = runMatcher(rules, lines, opts.scalingPasses);
    const total = r.matches.reduce((a, b) => a + b, 0);
    const ref = erScaling.get(n);
    log(
      `exact rules ${fmt(n).padStart(7)}: build ${fmt(r.buildMs).padStart(6)} ms  best ${fmt(r.bestEventsPerSec).padStart(9)} ev/s  mean ${fmt(r.meanEventsPerSec).padStart(9)} ev/s  ${fmt(total)} matches${r.stable ? '' : ' (UNSTABLE)'}`,
    );
    scaling.push({
      rules: n,
      buildMs: r.buildMs,
      warmupMs: r.warmupMs,
      passesMs: r.passesMs,
      bestEventsPerSec: r.bestEventsPerSec,
      meanEventsPerSec: r.meanEventsPerSec,
      totalMatches: total,
      rulesMatchingNothing: r.matches.filter((c) => c === 0).length,
      stable: r.stable,
      eventRuler: ref ?? null,
      ratioBest: ratio(r.bestEventsPerSec, ref?.bestEventsPerSec),
      ratioMean: ratio(r.meanEventsPerSec, ref?.meanEventsPerSec),
    });
  }
  log();

  // Tables beside event-ruler.
  const rows: string[][] = [['rule type (5 rules)', 'ours best', 'ours mean', 'ER best', 'ER mean', 'best ratio', 'mean ratio', 'counts']];
  for (const t of typeResults) {
    const ref = t.eventRuler as ErType | null;
    rows.push([
      t.type as string,
      fmt(t.bestEventsPerSec as number),
      fmt(t.meanEventsPerSec as number),
      ref ? fmt(ref.bestEventsPerSec) : '-',
      ref ? fmt(ref.meanEventsPerSec) : '-',
      fmtRatio(t.ratioBest as number | null),
      fmtRatio(t.ratioMean as number | null),
      t.check as string,
    ]);
  }
  rows.push([
    `all ${allRules.length} rules in one matcher`,
    fmt(combo.bestEventsPerSec),
    fmt(combo.meanEventsPerSec),
    er.combo ? fmt(er.combo.bestEventsPerSec) : '-',
    er.combo ? fmt(er.combo.meanEventsPerSec) : '-',
    fmtRatio(ratio(combo.bestEventsPerSec, er.combo?.bestEventsPerSec)),
    fmtRatio(ratio(combo.meanEventsPerSec, er.combo?.meanEventsPerSec)),
    comboCheck,
  ]);
  rows.push(['JSON.parse only (baseline)', fmt(baseline.bestEventsPerSec), fmt(baseline.meanEventsPerSec), '', '', '', '', '']);
  log(table(rows, (c) => c >= 1 && c <= 6));
  log();
  const srows: string[][] = [['exact rules (2 fields)', 'build ms', 'ours best', 'ours mean', 'ER best', 'ER mean', 'best ratio', 'mean ratio', 'matches']];
  for (const s of scaling) {
    const ref = s.eventRuler as { bestEventsPerSec: number; meanEventsPerSec: number } | null;
    srows.push([
      fmt(s.rules as number),
      fmt(s.buildMs as number),
      fmt(s.bestEventsPerSec as number),
      fmt(s.meanEventsPerSec as number),
      ref ? fmt(ref.bestEventsPerSec) : '-',
      ref ? fmt(ref.meanEventsPerSec) : '-',
      fmtRatio(s.ratioBest as number | null),
      fmtRatio(s.ratioMean as number | null),
      fmt(s.totalMatches as number),
    ]);
  }
  log(table(srows, (c) => c >= 0 && c <= 8));
  log(
    "(scaling rules are our own, drawn from the file; event-ruler's scaling rules are not described, so only the events/s are comparable, not the match counts)",
  );
  log();

  if (mismatches.length > 0) {
    log(`MISMATCHES (${mismatches.length}):`);
    const diagnosed = new Map<string, Mismatch>();
    for (const m of mismatches) {
      const prior = diagnosed.get(m.pattern);
      if (prior) {
        m.matchesPatternCount = prior.matchesPatternCount;
        m.samples = prior.samples;
      } else {
        diagnose(m, lines);
        diagnosed.set(m.pattern, m);
      }
      log(`- ${m.scope}: ${m.type} rule ${m.rule}: ${JSON.stringify(JSON.parse(m.pattern))}`);
      log(`  expected (event-ruler) ${m.expected}, RuleMatcher ${m.got}, matchesPattern ${m.matchesPatternCount}`);
      for (const s of m.samples ?? []) log(`  line ${s.line}: RuleMatcher ${s.ruleMatcher}, matchesPattern ${s.matchesPattern}: ${s.event}`);
      if ((m.samples ?? []).length === 0)
        log('  RuleMatcher and matchesPattern agree on every event: the difference is in the shared evaluation (or in event-ruler)');
    }
    log();
  }

  const totalMs = performance.now() - tStart;
  const results = {
    node: process.version,
    cpu,
    cpus: cpus().length,
    engine: opts.engine,
    engineFrom: loaded.from,
    file: relative(ROOT, file),
    events: lines.length,
    seed: opts.seed,
    bytes,
    countsChecked: comparable,
    warmupPasses: 1,
    measuredPasses: opts.passes,
    scalingMeasuredPasses: opts.scalingPasses,
    baselineJsonParse: baseline,
    ruleTypes: typeResults,
    combo: {
      rules: allRules.length,
      buildMs: combo.buildMs,
      warmupMs: combo.warmupMs,
      passesMs: combo.passesMs,
      bestEventsPerSec: combo.bestEventsPerSec,
      meanEventsPerSec: combo.meanEventsPerSec,
      matches: combo.matches,
      eventRuler: er.combo ?? null,
      ratioBest: ratio(combo.bestEventsPerSec, er.combo?.bestEventsPerSec),
      ratioMean: ratio(combo.meanEventsPerSec, er.combo?.meanEventsPerSec),
      check: comboCheck,
    },
    exactRuleScaling: {
      ruleShape: '{"properties":{"MAPBLKLOT":[v1],"STREET":[v2]}}, (v1, v2) from an event of the file picked by sfc32 seeded 0x5ca1ab1e',
      countsComparable: false,
      points: scaling,
    },
    mismatches,
    totalMs,
  };
  const resultsPath = join(OUT, 'patterns-results.json');
  mkdirSync(OUT, { recursive: true });
  writeFileSync(resultsPath, `${JSON.stringify(results, null, 2)}\n`);
  log(`node ${process.version}, ${cpu} (${cpus().length} CPUs); total ${(totalMs / 1000).toFixed(1)} s; results in ${relative(ROOT, resultsPath)}`);
  if (mismatches.length > 0) {
    log(`FAIL: ${mismatches.length} match count(s) differ from event-ruler's`);
    return 1;
  }
  return 0;
}

process.exitCode = await main();
