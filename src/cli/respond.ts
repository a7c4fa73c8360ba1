import type { Command } from 'commander';
import { TrailhoundError, UsageError } from '../core/errors.js';
import type { Io } from './main.js';

/** A failed call to a running service's API (`trailhound respond`). */
export class RespondError extends TrailhoundError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_RESPOND', message, options);
  }
}

export interface RespondOptions {
  /** The service, e.g. http://127.0.0.1:8080 */
  url: string;
  /** A responder token (Bearer). */
  token: string;
  finding: string;
  /** A remediation target; without it, the playbooks that could act on the finding are listed. */
  target?: string;
  execute?: boolean;
  fetch?: typeof fetch;
  /** Per request (default 60 s: a playbook's calls take a few seconds). */
  timeoutMs?: number;
}

/**
 * An analyst's response from the command line, through a running `trailhound serve` (or `trailhound lab`): the same
 * API and the same audit as the console. It always plans first; `execute` then runs the plan (the target must be
 * configured `mode: execute`). The token comes from the environment, never from the command line (other users can read
 * a process's arguments).
 */
export async function respond(o: RespondOptions): Promise<{ plan?: unknown; result?: unknown; options?: unknown }> {
  const doFetch = o.fetch ?? fetch;
  const base = o.url.replace(/\/+$/, '');
  const finding = encodeURIComponent(o.finding);
  const call = async (method: 'GET' | 'POST', path: string, body?: unknown): Promise<Record<string, unknown>> => {
    let res: Response;
    try {
      res = await doFetch(`${base}/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${o.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(o.timeoutMs ?? 60_000),
      });
    } catch (err) {
      throw new RespondError(`cannot reach ${base}: ${(err as Error).message}`, { cause: err });
    }
    const text = await res.text();
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch (err) {
      throw new RespondError(`${method} ${path}: HTTP ${res.status}, not JSON`, { cause: err });
    }
    if (!res.ok) throw new RespondError(`${method} ${path}: HTTP ${res.status}: ${String(json.error ?? text).slice(0, 500)}`);
    return json;
  };
  if (!o.target) return { options: await call('GET', `/findings/${finding}/remediation`) };
  const plan = (await call('POST', `/findings/${finding}/remediation/plan`, { target: o.target })).result;
  if (!o.execute) return { plan };
  const result = (await call('POST', `/findings/${finding}/remediation/execute`, { target: o.target, confirm: true })).result;
  return { plan, result };
}

export function registerRespond(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('respond')
    .description("Run a remediation playbook on a finding through a running service's API (plan, then --execute).")
    .requiredOption('--url <URL>', 'the service, e.g. http://127.0.0.1:8080')
    .requiredOption('--finding <ID>', 'the finding')
    .option('--target <NAME>', 'a remediation target; without it, list the playbooks that could act on the finding')
    .option('--execute', 'execute after planning (the target must be configured mode: execute)')
    .option('--token-env <VAR>', 'the environment variable holding a responder API token', 'TRAILHOUND_TOKEN')
    .action(async (opts: { url: string; finding: string; target?: string; execute?: boolean; tokenEnv: string }) => {
      const token = io.env[opts.tokenEnv];
      if (!token) throw new UsageError(`set ${opts.tokenEnv} to a responder API token (it is not taken from the command line)`);
      const out = await respond({
        url: opts.url,
        token,
        finding: opts.finding,
        ...(opts.target ? { target: opts.target } : {}),
        execute: Boolean(opts.execute),
      });
      io.stdout(`${JSON.stringify(out, null, 2)}\n`);
      const status = (out.result ?? out.plan) as { status?: string } | undefined;
      if (status?.status && status.status !== 'planned' && status.status !== 'succeeded') setExit(1);
    });
}
