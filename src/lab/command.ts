import { type Command, Option } from 'commander';
import type { Io } from '../cli/main.js';
import { describeError, UsageError } from '../core/errors.js';
import { safeText } from '../core/text.js';
import { failedReport, type LabReport, runLab } from './run.js';

/** A short, human summary of the lab's report. */
export function labSummary(r: LabReport): string {
  const lines: string[] = [];
  for (const s of r.scenarios) {
    lines.push(`Scenario ${s.id}: ${s.name}`);
    for (const f of s.findings) lines.push(`  finding   ${f.type}  count ${f.count}  id ${f.id}`);
    lines.push(`  notified  ${s.notifications.length} e-mail(s)`);
    for (const m of s.remediations) lines.push(`  response  ${m.playbook} on ${m.resource}: ${m.status} (by ${m.requestedBy})`);
    for (const a of s.afterRemediation) lines.push(`  then      ${a.api}: ${a.errorCode ?? 'succeeded'}`);
    if (s.containment) lines.push(`  verified  containment ${s.containment}`);
  }
  lines.push(`Background: ${r.background.calls} calls, ${r.background.findings.length} other finding(s)`);
  if (r.ok) lines.push(`All four scenarios worked end to end in ${(r.durationMs / 1000).toFixed(1)} s.`);
  else lines.push('Problems:', ...r.problems.map((p) => `  - ${p}`));
  return `${lines.map((l) => safeText(l, 400)).join('\n')}\n`;
}

/** `trailhound lab`: registered by src/main.ts (the lab is the last stage; the CLI does not import it). */
export function registerLab(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('lab')
    .description('The GuardDuty workshop on this machine: a local AWS account, the four attacks, detection, notification and response.')
    .option('--once', 'run the scenarios, print the report and stop (nothing stays open)')
    .addOption(new Option('--format <format>', 'report format').choices(['json', 'text']).default('text'))
    .option('--port <N>', "the console's port (0: any free port; default 8080, or any free port with --once)")
    .option('--dir <DIR>', "keep the lab's files (trail bucket, database, configuration) here")
    .option('--auto-respond', "deactivate scenario 2's key automatically instead of waiting for you (always so with --once)")
    .action(async (opts: { once?: boolean; autoRespond?: boolean; format: 'json' | 'text'; port?: string; dir?: string }) => {
      const port = opts.port === undefined ? (opts.once ? 0 : 8080) : Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new UsageError(`--port: expected a port number, got ${JSON.stringify(opts.port)}`);
      // Ctrl-C while the lab runs (or waits for you) stops it cleanly.
      const controller = new AbortController();
      const interrupt = () => controller.abort(new Error('interrupted'));
      process.once('SIGINT', interrupt);
      process.once('SIGTERM', interrupt);
      let lab: Awaited<ReturnType<typeof runLab>>;
      const started = Date.now();
      try {
        lab = await runLab({
          once: Boolean(opts.once),
          autoRespond: Boolean(opts.autoRespond),
          port,
          signal: controller.signal,
          ...(opts.dir ? { dir: opts.dir } : {}),
          log: (m) => io.stderr(`lab: ${m}\n`),
        });
      } catch (err) {
        if (err instanceof UsageError) throw err;
        // The report is still written (the contract: one JSON document), saying why the run failed.
        const message = `the lab failed: ${describeError(err)}`;
        io.stdout(opts.format === 'json' ? `${JSON.stringify(failedReport(message, Date.now() - started), null, 2)}\n` : `${safeText(message, 2000)}\n`);
        setExit(1);
        return;
      } finally {
        process.off('SIGINT', interrupt);
        process.off('SIGTERM', interrupt);
      }
      io.stdout(opts.format === 'json' ? `${JSON.stringify(lab.report, null, 2)}\n` : labSummary(lab.report));
      if (!lab.report.ok) setExit(1);
      if (opts.once) return;
      io.stderr(`\nThe lab keeps running: console ${lab.consoleUrl} (user ${lab.login.user}, password ${lab.login.password}). ` + 'Press Ctrl-C to stop.\n');
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      await lab.close();
    });
}
