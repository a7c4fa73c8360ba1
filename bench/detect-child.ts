/**
 * Runs `trailhound detect` in this process through the CLI's `main()` and records what it cost, so the
 * benchmark can read peak RSS without `/usr/bin/time`.
 *
 * Arguments are the CLI arguments after the program name (`detect --format json ... PATHS`). Standard output
 * and standard error are whatever the parent connected (the benchmark sends stdout to /dev/null).
 * Environment:
 * - BENCH_RESULT: file to write the result to, one JSON line:
 *   `{ exitCode, wallMs, mainMs, maxRssKb, userCpuMs, systemCpuMs, error? }`, written at process exit;
 *   without it the line goes to stderr.
 * - BENCH_MAIN: path of the compiled CLI module (default: ../dist/cli/main.js next to this file).
 *
 * `bench/run.ts` transpiles this file to plain JavaScript and runs it with plain `node`, so that no TypeScript
 * loader (tsx adds about 35 MB of RSS) is in the measured process.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface DetectChildResult {
  exitCode: number | null;
  /** From the start of this script to process exit: loading the CLI, detecting, writing the output. */
  wallMs: number;
  /** The `main()` call alone. */
  mainMs: number | null;
  /** `process.resourceUsage().maxRSS`: peak resident set size of the whole process, in KiB. */
  maxRssKb: number;
  userCpuMs: number;
  systemCpuMs: number;
  error?: string;
}

type Main = (argv: string[]) => Promise<number>;

const started = performance.now();
let mainMs: number | null = null;
let exitCode: number | null = null;
let error: string | undefined;

process.on('exit', () => {
  const usage = process.resourceUsage();
  const result: DetectChildResult = {
    exitCode: exitCode ?? (typeof process.exitCode === 'number' ? process.exitCode : null),
    wallMs: Math.round(performance.now() - started),
    mainMs,
    maxRssKb: usage.maxRSS,
    userCpuMs: Math.round(usage.userCPUTime / 1000),
    systemCpuMs: Math.round(usage.systemCPUTime / 1000),
    ...(error ? { error } : {}),
  };
  const line = `${JSON.stringify(result)}\n`;
  const target = process.env.BENCH_RESULT;
  if (target) writeFileSync(target, line);
  else process.stderr.write(line);
});

try {
  const mainPath = process.env.BENCH_MAIN ? resolve(process.env.BENCH_MAIN) : new URL('../dist/cli/main.js', import.meta.url);
  const mod = (await import(typeof mainPath === 'string' ? pathToFileURL(mainPath).href : mainPath.href)) as { main?: Main };
  if (typeof mod.main !== 'function') throw new Error('the CLI module does not export main(argv)');
  const t0 = performance.now();
  exitCode = await mod.main(['node', 'trailhound', ...process.argv.slice(2)]);
  mainMs = Math.round(performance.now() - t0);
  process.exitCode = exitCode;
} catch (err) {
  error = err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.exitCode = 99;
}
