/**
 * `npm run bench:flow` (also run by `npm run bench`): VPC Flow Logs throughput of `detect` (sniff, parse, dedupe by
 * content id, the flow detectors, aggregation) against a baseline measured in the same run on the same files: read +
 * gunzip + split into lines, nothing else. Numbers are ratios to that baseline.
 *
 * Usage: node --import tsx bench/flow.ts [--records N] [--seed S]   (defaults: 1,000,000 records, "trailhound-flow")
 * Writes bench/out/flow/ (the corpus, reused when it matches) and bench/out/flow-results.json.
 */

import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gunzipSync, gzipSync } from 'node:zlib';
import { fixedClock } from '../src/core/clock.js';
import { validateConfig } from '../src/pipeline/config.js';
import { buildContext } from '../src/pipeline/context.js';
import { runDetect } from '../src/pipeline/detect.js';
import { Rng } from './generate-cloudtrail.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'bench', 'out', 'flow');
const PER_FILE = 20_000;
const HEADER = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';

/**
 * Writes the corpus: 200 interfaces of 10.0.x.y talking to public addresses (HTTPS, DNS, NTP), inbound probes that are
 * rejected, a few NODATA records, and 0.1% of flows with a threat-listed address; one file per 20,000 records.
 */
function generate(records: number, seed: string): void {
  rmSync(OUT, { recursive: true, force: true });
  const dir = join(OUT, 'AWSLogs', '111122223333', 'vpcflowlogs', 'us-east-1', '2026', '11', '20');
  mkdirSync(dir, { recursive: true });
  const rng = new Rng(seed);
  const r = () => rng.float();
  const pick = (n: number) => rng.int(n);
  const start0 = Date.parse('2026-11-20T00:00:00Z') / 1000;
  let lines: string[] = [];
  let file = 0;
  const flush = () => {
    writeFileSync(
      join(dir, `111122223333_vpcflowlogs_us-east-1_fl-0bench_${String(file).padStart(6, '0')}.log.gz`),
      gzipSync(`${HEADER}\n${lines.join('\n')}\n`),
    );
    file++;
    lines = [];
  };
  for (let i = 0; i < records; i++) {
    const eni = pick(200);
    const local = `10.0.${eni >> 8}.${eni & 255}`;
    const t = start0 + Math.floor(i / 50);
    const kind = r();
    let line: string;
    if (kind < 0.001) line = `${local} 203.0.113.${pick(255)} ${32768 + pick(28000)} 443 6 10 4000 ${t} ${t + 60} ACCEPT OK`;
    else if (kind < 0.01) line = `- - - - - - - ${t} ${t + 60} - NODATA`;
    else if (kind < 0.1)
      line = `198.18.${pick(255)}.${pick(255)} ${local} ${32768 + pick(28000)} ${[22, 3389, 23, 445][pick(4)]} 6 1 44 ${t} ${t + 60} REJECT OK`;
    else {
      const [port, proto] = [
        [443, 6],
        [53, 17],
        [123, 17],
        [80, 6],
      ][pick(4)] as [number, number];
      line = `${local} 52.${pick(200)}.${pick(255)}.${pick(255)} ${32768 + pick(28000)} ${port} ${proto} ${1 + pick(40)} ${60 + pick(60000)} ${t} ${t + 60} ACCEPT OK`;
    }
    lines.push(`2 111122223333 eni-${eni.toString(16).padStart(17, '0')} ${line}`);
    if (lines.length === PER_FILE) flush();
  }
  if (lines.length > 0) flush();
  writeFileSync(join(OUT, 'corpus.json'), JSON.stringify({ records, seed }));
}

function files(): string[] {
  const dir = join(OUT, 'AWSLogs', '111122223333', 'vpcflowlogs', 'us-east-1', '2026', '11', '20');
  return readdirSync(dir)
    .sort()
    .map((f) => join(dir, f));
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { records: { type: 'string', default: '1000000' }, seed: { type: 'string', default: 'trailhound-flow' } } });
  const records = Number(values.records);
  const manifest = join(OUT, 'corpus.json');
  const existing = existsSync(manifest) ? (JSON.parse(readFileSync(manifest, 'utf8')) as { records: number; seed: string }) : undefined;
  if (existing?.records !== records || existing.seed !== values.seed) generate(records, values.seed as string);

  // Baseline: read + gunzip + split into lines.
  let t = performance.now();
  let lines = 0;
  for (const f of files()) lines += gunzipSync(readFileSync(f)).toString('utf8').split('\n').length - 2;
  const baselineMs = performance.now() - t;

  const list = join(OUT, 'threats.txt');
  writeFileSync(list, '203.0.113.0/24\n');
  const config = validateConfig({ threatLists: [{ name: 'bench', path: list }], enrichment: { enabled: false } }, 'bench');
  const ctx = await buildContext(config, {});
  t = performance.now();
  const result = await runDetect({ paths: [join(OUT, 'AWSLogs')], ctx, clock: fixedClock('2026-11-21T00:00:00Z') });
  const detectMs = performance.now() - t;

  const rows = [
    { run: 'baseline: read + gunzip + split', seconds: +(baselineMs / 1000).toFixed(2), recordsPerSecond: Math.round(lines / (baselineMs / 1000)), ratio: 1 },
    {
      run: 'detect (flow logs)',
      seconds: +(detectMs / 1000).toFixed(2),
      recordsPerSecond: Math.round(lines / (detectMs / 1000)),
      ratio: +(baselineMs / detectMs).toFixed(2),
    },
  ];
  console.table(rows);
  const findings = result.findings.reduce<Record<string, number>>((m, f) => {
    m[f.type] = (m[f.type] ?? 0) + 1;
    return m;
  }, {});
  console.log(`${lines} lines, ${result.stats.flowRecords} flow records (${result.stats.flowNoData} NODATA), ${result.findings.length} findings:`, findings);
  writeFileSync(join(ROOT, 'bench', 'out', 'flow-results.json'), `${JSON.stringify({ records, rows, findings, stats: result.stats }, null, 2)}\n`);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exitCode = 1;
});
