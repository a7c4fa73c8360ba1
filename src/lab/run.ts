import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EC2Client } from '@aws-sdk/client-ec2';
import { IAMClient } from '@aws-sdk/client-iam';
import { S3Client } from '@aws-sdk/client-s3';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { hashPassword, newToken, tokenSha256 } from '../api/passwords.js';
import { respond } from '../cli/respond.js';
import { type RunningServe, startServe } from '../cli/serve.js';
import { UsageError } from '../core/errors.js';
import type { Finding } from '../core/finding.js';
import { loadConfig } from '../pipeline/config.js';
import { AwsCliProfiles } from './cli-profiles.js';
import { FlowLogWriter } from './flow-log.js';
import { LabInbox } from './inbox.js';
import { type AttackCall, background, retry, scenario1, scenario2, scenario3, scenario4 } from './scenarios.js';
import { labClient } from './server.js';
import { buildStage, LAB_ACCOUNT, LAB_REGION, type LabStage } from './stage.js';
import { TrailWriter } from './trail.js';

/** The lab's report (`trailhound lab --once --format json`). A stable contract: add fields, never rename or remove. */
export interface LabReport {
  lab: { accountId: string; region: string; endpoint: string; console: string; note: string };
  scenarios: ScenarioReport[];
  /** Findings that belong to no scenario (noise): expected to be empty. */
  background: { calls: number; findings: FindingRef[] };
  durationMs: number;
  /** True when every scenario produced its findings, its notifications and, where the workshop has one, its response. */
  ok: boolean;
  problems: string[];
}

export interface FindingRef {
  type: string;
  id: string;
  count: number;
  severity: number;
}

export interface ScenarioReport {
  id: 1 | 2 | 3 | 4;
  name: string;
  findings: FindingRef[];
  /** E-mails the lab's inbox received about this scenario's findings (and its remediations). */
  notifications: { to: string[]; subject: string; findingId: string | null }[];
  /** Executed playbooks (plans left out): what they touched, how they ended, and who asked ('rule' or the user's name). */
  remediations: { playbook: string; resource: string; status: string; findingId: string; requestedBy: string }[];
  /** The attacker's calls after the response, and how each ended. */
  afterRemediation: { api: string; errorCode: string | null }[];
  /** `service.additionalInfo.containment.status` of the remediated finding, once later logs judged it. */
  containment: string | null;
}

export interface LabOptions {
  /** Keep the lab's files here (default: a temporary directory, removed when the lab closes). */
  dir?: string;
  /** The console's port (0: any free port). */
  port?: number;
  host?: string;
  /** Run the scenarios, write the report, stop. */
  once?: boolean;
  /**
   * Scenario 2's key deactivation is the analyst's (the workshop leaves it to people). Without `once`, the lab waits for
   * it (console or `trailhound respond`) unless this is set; with `once`, the lab responds through the API itself.
   */
  autoRespond?: boolean;
  /** Stops a run that waits (for the analyst): the run then fails with the signal's reason. */
  signal?: AbortSignal;
  log?: (message: string) => void;
}

export interface RunningLab {
  report: LabReport;
  consoleUrl: string;
  login: { user: string; password: string };
  /** Stops everything (the console, the lab's endpoint, the inbox). */
  close(): Promise<void>;
}

const NAMES: Record<1 | 2 | 3 | 4, string> = {
  1: 'Compromised EC2 instance: talks to a threat-listed address (VPC Flow Logs)',
  2: "Compromised IAM user credentials: the user's key used from a threat-listed address",
  3: "IAM role credential exfiltration: an instance role's credentials used outside AWS",
  4: 'Compromised S3 bucket: server access logging and Block Public Access turned off',
};

const RESPONSE_YAML = new URL('../../examples/workshop/response.yaml', import.meta.url);

/** Marks a folder as the lab's, so that a later run with the same `--dir` may clear it. */
const MARKER = '.trailhound-lab';

/**
 * A lab folder starts empty: a previous run's trail files and database would change the findings. A folder the lab
 * made before (it holds the marker) is cleared; any other non-empty folder is refused rather than touched.
 */
async function prepareDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const entries = await readdir(dir);
  if (entries.length > 0) {
    if (!entries.includes(MARKER)) throw new UsageError(`--dir ${dir}: the folder is not empty and is not a lab folder; choose an empty or new one`);
    for (const e of entries) await rm(join(dir, e), { recursive: true, force: true });
  }
  await writeFile(join(dir, MARKER), 'This folder belongs to `trailhound lab`; the next run with --dir here clears it.\n');
}

/** Trailhound's own address in the lab (its S3 reads and its remediation calls come from here). */
const TRAILHOUND_IP = '192.0.2.10';

/**
 * `trailhound lab`: the workshop on one machine. A local AWS account (the lab's endpoint, speaking AWS's protocols,
 * verifying signatures and evaluating identity policies) writes its CloudTrail and VPC Flow Logs into a trail bucket;
 * Trailhound's service reads that bucket through the lab's S3 API, with the workshop's rules, an e-mail target
 * delivering into an in-process inbox, and remediation enabled against the lab only. The four scenarios run as real
 * SDK calls, then the responses: the revoke playbook fires on its own for scenario 3 and the analyst deactivates
 * scenario 2's key through the API; the attackers' next calls show whether the responses hold.
 */
export async function runLab(o: LabOptions = {}): Promise<RunningLab> {
  const started = Date.now();
  const log = o.log ?? ((m: string) => process.stderr.write(`lab: ${m}\n`));
  const dir = o.dir ?? (await mkdtemp(join(tmpdir(), 'trailhound-lab-')));
  const removeDir = o.dir === undefined; // a folder of its own is removed on close; a --dir is kept
  await prepareDir(dir);
  const closers: Array<() => Promise<void> | void> = [];
  let closing: Promise<void> | undefined;
  // Everything is closed even when one part fails to (its error is logged); the first error is not hidden by later ones.
  const closeAll = () =>
    (closing ??= (async () => {
      for (const c of closers.reverse()) {
        try {
          await c();
        } catch (err) {
          log(`closing: ${(err as Error).message}`);
        }
      }
      closers.length = 0;
      if (removeDir) await rm(dir, { recursive: true, force: true });
    })());
  try {
    const inbox = await new LabInbox().start();
    closers.push(() => inbox.close());

    // The lab's account, its endpoint, and the logs it writes into the trail bucket. Closed in reverse: the service
    // first, then the writers deliver what they still hold, then the endpoint.
    const stage = await buildStage({ dataDir: join(dir, 'lab'), onListenerError: (err) => log(`a call could not be recorded: ${err.message}`) });
    closers.push(() => stage.close());
    const trail = new TrailWriter({
      bucketDir: stage.trailBucketDir,
      tmpDir: join(dir, 'partial-trail'),
      accountId: LAB_ACCOUNT,
      region: LAB_REGION,
      flushMs: 1000,
      dataEvents: true,
    });
    const flows = new FlowLogWriter({
      bucketDir: stage.trailBucketDir,
      tmpDir: join(dir, 'partial-flow'),
      accountId: LAB_ACCOUNT,
      region: LAB_REGION,
      flushMs: 1000,
      format: 'with-instance',
    });
    closers.push(() => flows.close());
    closers.push(() => trail.close());
    // Data events are logged for the workshop's buckets, not for the trail bucket itself (Trailhound reading its own
    // logs would otherwise feed the trail forever), as a trail's data-event selector would be set.
    stage.onCall((call) => {
      const bucket = (call.requestParameters as { bucketName?: string } | null)?.bucketName;
      if (call.eventCategory === 'Data' && bucket === stage.trailBucket) return;
      trail.record(call);
    });
    stage.onFlow((f) => flows.record(f));

    // Trailhound's configuration: the workshop's rules, targets pointed at the lab and its inbox.
    const password = newToken().slice(0, 20);
    const runnerToken = newToken();
    const configPath = join(dir, 'trailhound.yaml');
    await writeFile(join(dir, 'threat-list.txt'), `# Example-Threat-List: the malicious instance's Elastic IP\n${stage.addresses.maliciousEip}\n`);
    await writeFile(configPath, toYaml(await labConfig(stage, inbox.port, await hashPassword(password), tokenSha256(runnerToken), o)));
    const config = await loadConfig(configPath);
    const responder = stage.responderCredentials;
    const sdk = { endpoint: stage.endpoint, region: LAB_REGION, credentials: responder, sourceIp: TRAILHOUND_IP };
    const s3 = labClient(S3Client, sdk);
    const iam = labClient(IAMClient, sdk);
    const ec2 = labClient(EC2Client, sdk);
    closers.push(() => {
      s3.destroy();
      iam.destroy();
      ec2.destroy();
    });
    const serve = await startServe({
      config,
      ...(o.host ? { host: o.host } : {}),
      port: o.port ?? config.serve.port,
      aws: { s3 },
      remediation: { clients: { iam, ec2 } },
      console: { inbox },
      log: (m) => log(`trailhound: ${m}`),
    });
    closers.push(() => serve.close());
    log(`console on ${serve.url} (user analyst, password ${password}); the lab's AWS endpoint is ${stage.endpoint} (a local lab, not AWS)`);
    log(`the lab's files (trail bucket, database, configuration) are in ${dir}`);
    const profiles = new AwsCliProfiles(dir, stage.endpoint, LAB_REGION);
    profiles.set('alice', stage.admin.credentials);
    profiles.set('compromised', stage.compromisedUser.credentials);

    const report = await play({
      stage,
      serve,
      trail,
      flows,
      inbox,
      token: runnerToken,
      analyst: o.once || o.autoRespond ? 'auto' : 'wait',
      log,
      profiles,
      signal: o.signal,
    });
    report.durationMs = Date.now() - started;
    report.lab.console = serve.url;
    const running: RunningLab = { report, consoleUrl: serve.url, login: { user: 'analyst', password }, close: closeAll };
    if (o.once) await closeAll();
    return running;
  } catch (err) {
    await closeAll();
    throw err;
  }
}

async function labConfig(stage: LabStage, smtpPort: number, passwordHash: string, tokenSha: string, o: LabOptions): Promise<Record<string, unknown>> {
  const workshop = parseYaml(await readFile(RESPONSE_YAML, 'utf8')) as { rules: unknown[]; targets: Record<string, Record<string, unknown>> };
  const scope = { accounts: [LAB_ACCOUNT], regions: [LAB_REGION] };
  const endpoints = { iam: stage.endpoint, ec2: stage.endpoint };
  const t = workshop.targets;
  return {
    threatLists: [{ name: 'Example-Threat-List', path: 'threat-list.txt' }],
    db: 'trailhound.db',
    detectors: {
      // The workshop's instances egress through their own public addresses (inside AWS).
      accounts: [{ id: LAB_ACCOUNT, egressAddresses: stage.instanceAddresses, affiliated: true }],
      globalServiceRegion: LAB_REGION,
    },
    publishing: { frequency: 'FIFTEEN_MINUTES' },
    targets: {
      'workshop-mail': { ...t['workshop-mail'], host: '127.0.0.1', port: smtpPort, requireTLS: false },
      // Remediation executes against the lab only: its endpoints are the lab's (also when this file is reused).
      'revoke-sessions': { ...t['revoke-sessions'], mode: 'execute', audit: 'audit.db', endpoints, scope: { ...scope, roles: ['GuardDuty-Example-*'] } },
      'isolate-instance': {
        ...t['isolate-instance'],
        mode: 'execute',
        audit: 'audit.db',
        endpoints,
        scope: { ...scope, instanceTags: [{ key: 'GD-Finding', value: '*' }] },
      },
      // The workshop leaves scenario 2 to the analyst: no rule routes to this target, the analyst runs it.
      'deactivate-key': {
        type: 'remediation',
        playbook: 'deactivate-access-key',
        mode: 'execute',
        audit: 'audit.db',
        endpoints,
        scope: { ...scope, users: ['GuardDuty-Example-*'] },
      },
    },
    rules: workshop.rules,
    serve: {
      host: o.host ?? '127.0.0.1',
      port: o.port ?? 8080,
      users: [{ name: 'analyst', role: 'responder', passwordHash }],
      tokens: [{ name: 'analyst.respond', role: 'responder', sha256: tokenSha }],
      sources: [
        {
          type: 's3',
          name: 'lab-trail',
          bucket: stage.trailBucket,
          accounts: [LAB_ACCOUNT],
          regions: ['us-east-1', LAB_REGION],
          logTypes: ['cloudtrail', 'vpcflowlogs'],
          intervalSeconds: 1,
          lookbackDays: 1,
          region: LAB_REGION,
          endpoint: stage.endpoint,
        },
      ],
    },
  };
}

/** The report of a run that could not finish: the same shape, no scenarios, `ok: false` and why. */
export function failedReport(problem: string, durationMs: number): LabReport {
  return {
    lab: { accountId: LAB_ACCOUNT, region: LAB_REGION, endpoint: '', console: '', note: LAB_NOTE },
    scenarios: [],
    background: { calls: 0, findings: [] },
    durationMs,
    ok: false,
    problems: [problem],
  };
}

const LAB_NOTE = 'a local lab on 127.0.0.1: AWS protocols for the calls the workshop makes, not AWS';

const ref = (f: Finding): FindingRef => ({ type: f.type, id: f.id, count: f.service.count, severity: f.severity });

/** Runs the scenarios and the responses, waiting for Trailhound between the steps; then reports. */
/** What a run plays with: the lab, the service, the log writers, the inbox, and how scenario 2's response comes. */
interface Play {
  stage: LabStage;
  serve: RunningServe;
  trail: TrailWriter;
  flows: FlowLogWriter;
  inbox: LabInbox;
  /** The responder token `respond` uses when the lab answers for the analyst. */
  token: string;
  analyst: 'auto' | 'wait';
  log: (m: string) => void;
  profiles: AwsCliProfiles;
  signal: AbortSignal | undefined;
}

async function play({ stage, serve, trail, flows, inbox, token, analyst, log, profiles, signal }: Play): Promise<LabReport> {
  const calls: AttackCall[] = [];
  const problems: string[] = [];
  const settle = async () => {
    await Promise.all([trail.flush(), flows.flush()]);
    // Two rounds: the first ingests and delivers (remediations run), the second picks up what those wrote.
    await serve.idle(60_000);
    await Promise.all([trail.flush(), flows.flush()]);
    await serve.idle(60_000);
  };
  const findings = () => serve.services.store.findings();

  log('background activity');
  await background(stage, calls);
  log('scenario 1: the compromised instance pings the threat-listed address');
  scenario1(stage, new Date());
  log("scenario 2: the compromised user's key from the threat-listed address");
  await scenario2(stage, calls);
  log('scenario 4: S3 logging and Block Public Access turned off');
  await scenario4(stage, calls);
  log("scenario 3: the instance role's credentials stolen and used outside AWS");
  const stolen = await scenario3(stage, calls);
  profiles.set('badbob', stolen);
  log(`AWS CLI as the actors (profiles alice, compromised, badbob): ${profiles.env()} aws --profile badbob dynamodb list-tables`);
  await settle();

  const all = findings();
  const s1 = all.filter((f) => f.resource.instanceDetails?.instanceId === stage.scenario1.instanceId);
  const s3 = all.filter(
    (f) => f.resource.accessKeyDetails?.userName === stage.scenario3.roleName || f.resource.instanceDetails?.instanceId === stage.scenario3.instanceId,
  );
  const s4 = all.filter((f) => /^(Stealth:S3\/ServerAccessLoggingDisabled|Policy:S3\/BucketBlockPublicAccessDisabled)$/.test(f.type));
  const s2 = all.filter((f) => f.resource.accessKeyDetails?.userName === stage.compromisedUser.name && !s4.includes(f));

  // CloudTrail's times have whole seconds, and the verification judges calls made after the remediation: a retry in
  // the same second as the response could not be told from a call just before it. The workshop has minutes between
  // them; the lab waits for the next second.
  const nextSecond = () => new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 20));
  await nextSecond();
  // Scenario 3's response is automatic (the rule's revoke playbook); the attacker tries again.
  const after3 = await retry(stage, stolen, stage.addresses.exfilHost, 'dynamodb:ListTables', calls);
  // Scenario 2's response is the analyst's: deactivate the key named in the finding, through the API.
  const s2Finding = s2.find((f) => f.type === 'UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom') ?? s2[0];
  let after2: AttackCall | undefined;
  if (s2Finding) {
    if (analyst === 'auto') {
      log(`scenario 2: the analyst deactivates the key of finding ${s2Finding.id} (trailhound respond)`);
      await respond({ url: serve.url, token, finding: s2Finding.id, target: 'deactivate-key', execute: true });
    } else {
      log(
        `scenario 2 waits for you: open ${serve.url}/findings/${s2Finding.id}, plan and execute the deactivate-key playbook ` +
          `(or run: TRAILHOUND_TOKEN=${token} npx trailhound respond --url ${serve.url} --finding ${s2Finding.id} --target deactivate-key --execute)`,
      );
      const key = stage.compromisedUser.credentials.accessKeyId;
      while (stage.account.accessKeyStatus(key) !== 'Inactive') {
        signal?.throwIfAborted();
        await new Promise((r) => setTimeout(r, 500));
      }
      log('scenario 2: the key is inactive; the attacker tries again');
    }
    await nextSecond();
    after2 = await retry(stage, stage.compromisedUser.credentials, stage.addresses.maliciousEip, 'dynamodb:ListTables', calls);
  } else problems.push('scenario 2: no finding to respond to');
  await settle();

  const now = findings();
  const fresh = (list: Finding[]) => list.map((f) => now.find((n) => n.id === f.id) ?? f);
  const audit = serve.services.remediation.audit();
  const mails = inbox.all();
  const scenario = (id: 1 | 2 | 3 | 4, list: Finding[], after: AttackCall[]): ScenarioReport => {
    const ids = new Set(list.map((f) => f.id));
    const remediations = audit
      .filter((a) => ids.has(a.findingId) && a.status !== 'planned')
      .map((a) => ({ playbook: a.playbook, resource: a.target, status: a.status, findingId: a.findingId, requestedBy: a.requestedBy ?? 'rule' }));
    const containment = fresh(list)
      .map((f) => (f.service.additionalInfo as { containment?: { status?: string } } | undefined)?.containment?.status)
      .find((s) => s !== undefined);
    return {
      id,
      name: NAMES[id],
      findings: fresh(list).map(ref),
      notifications: mails
        .map((m) => ({ m, findingId: [...ids].find((i) => m.text.includes(i) || m.subject.includes(i)) ?? null }))
        .filter((x) => x.findingId !== null)
        .map(({ m, findingId }) => ({ to: m.to, subject: m.subject, findingId })),
      remediations,
      afterRemediation: after.map((c) => ({ api: c.api, errorCode: c.ok ? null : (c.errorCode ?? 'Error') })),
      containment: containment ?? null,
    };
  };
  const scenarios = [scenario(1, s1, []), scenario(2, s2, after2 ? [after2] : []), scenario(3, s3, [after3]), scenario(4, s4, [])];
  const claimed = new Set(scenarios.flatMap((s) => s.findings.map((f) => f.id)));
  const noise = now.filter((f) => !claimed.has(f.id));
  for (const s of scenarios) {
    if (s.findings.length === 0) problems.push(`scenario ${s.id}: no finding`);
    if (s.notifications.length === 0) problems.push(`scenario ${s.id}: no notification reached the inbox`);
  }
  if (after3.errorCode !== 'AccessDeniedException')
    problems.push(`scenario 3: the attacker's ListTables after the revocation ended ${after3.errorCode ?? 'successfully'}`);
  if (after2 && after2.errorCode !== 'UnrecognizedClientException')
    problems.push(`scenario 2: the attacker's call after the deactivation ended ${after2.errorCode ?? 'successfully'}`);
  for (const s of [scenarios[1], scenarios[2]])
    if (s && s.containment !== 'contained') problems.push(`scenario ${s.id}: containment is ${s.containment ?? 'not judged'}`);
  return {
    lab: {
      accountId: LAB_ACCOUNT,
      region: LAB_REGION,
      endpoint: stage.endpoint,
      console: '',
      note: 'a local lab on 127.0.0.1: AWS protocols for the calls the workshop makes, not AWS',
    },
    scenarios,
    background: { calls: calls.length, findings: noise.map(ref) },
    durationMs: 0,
    ok: problems.length === 0,
    problems,
  };
}
