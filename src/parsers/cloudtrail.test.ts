import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../core/errors.js';
import type { ApiEvent } from '../core/event.js';
import { formatIp } from '../core/ip.js';
import { API_CALL_DETAIL_TYPES, parseCloudTrailDocument, toApiEvent, toPrincipal } from './cloudtrail.js';

const FORMATS = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'formats');
const fixture = (name: string) => readFileSync(join(FORMATS, name), 'utf8');

const ID_A = 'aaaaaaaa-0000-4000-8000-000000000001';
const ID_B = 'bbbbbbbb-0000-4000-8000-000000000002';

let counter = 0;
/** A complete, valid record; `fields` override (a value of `undefined` removes the key). */
function rec(fields: Record<string, unknown> = {}): Record<string, unknown> {
  counter++;
  const base: Record<string, unknown> = {
    eventVersion: '1.09',
    userIdentity: {
      type: 'IAMUser',
      principalId: 'AIDAEXAMPLEALICE0001',
      arn: 'arn:aws:iam::111122223333:user/alice',
      accountId: '111122223333',
      accessKeyId: 'AKIAEXAMPLEALICE0001',
      userName: 'alice',
    },
    eventTime: '2024-05-01T10:00:00Z',
    eventSource: 'iam.amazonaws.com',
    eventName: 'GetUser',
    awsRegion: 'us-east-1',
    sourceIPAddress: '198.51.100.7',
    userAgent: 'aws-cli/2.15.0',
    requestParameters: null,
    responseElements: null,
    eventID: `00000000-0000-4000-8000-${String(counter).padStart(12, '0')}`,
    readOnly: true,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: '111122223333',
    eventCategory: 'Management',
  };
  const out = { ...base, ...fields };
  for (const [k, v] of Object.entries(fields)) if (v === undefined) delete out[k];
  return out;
}

/** Parses one record and expects it to be accepted. */
function accept(value: unknown): ApiEvent {
  const r = toApiEvent(value, 'f.json#0');
  if (r instanceof InputError) throw new Error(`unexpectedly rejected: ${r.message}`);
  return r;
}

/** Parses one record and expects it to be rejected; returns the reason. */
function reject(value: unknown): string {
  const r = toApiEvent(value, 'f.json#0');
  if (!(r instanceof InputError)) throw new Error('unexpectedly accepted');
  expect(r.location).toBe('f.json#0');
  return r.reason;
}

function parse(text: string, origin = 'f.json') {
  return parseCloudTrailDocument(text, origin);
}

describe('accepted document shapes (fixtures in test/fixtures/formats)', () => {
  it.each([
    ['records.json', [ID_A, ID_B], ['#0', '#1']],
    ['array.json', [ID_A, ID_B], ['#0', '#1']],
    ['ndjson.jsonl', [ID_A, ID_B], [':1', ':4']],
    ['eventbridge.json', [ID_A], ['']],
    ['eventbridge-array.json', [ID_A, ID_B], ['#0', '#1']],
    ['eventbridge.ndjson', [ID_A, ID_B], [':1', ':2']],
    ['single.json', [ID_A], ['']],
    ['whitespace.json', [ID_A, ID_B], ['#0', '#1']],
    ['bom.ndjson', [ID_A, ID_B], [':1', ':2']],
  ])('%s', (name, ids, suffixes) => {
    const r = parse(fixture(name), name);
    expect(r.errors.map((e) => e.message)).toEqual([]);
    expect(r.events.map((e) => e.id)).toEqual(ids);
    expect(r.events.map((e) => e.origin)).toEqual(suffixes.map((s) => `${name}${s}`));
    const a = r.events[0] as ApiEvent;
    expect(a.name).toBe('GetUser');
    expect(a.principal.userName).toBe('alice');
    expect(a.time).toBe(Date.parse('2024-05-01T10:00:00Z'));
    if (ids.length > 1) {
      const b = r.events[1] as ApiEvent;
      expect(b.name).toBe('ListBuckets');
      expect(b.ip && formatIp(b.ip)).toBe('2001:db8::7');
      expect(b.principal.userName).toBe('Deployer');
    }
  });

  it('keeps extra NDJSON keys (@timestamp) in the record and ignores them', () => {
    const r = parse(fixture('ndjson.jsonl'));
    expect(r.events[0]?.record['@timestamp']).toBe('2024-05-01T10:00:01Z');
  });

  it('unwraps the EventBridge envelope: the record is the detail', () => {
    const r = parse(fixture('eventbridge.json'));
    expect(r.events[0]?.record).not.toHaveProperty('detail-type');
    expect(r.events[0]?.record.eventID).toBe(ID_A);
  });

  it('accepts a byte-order mark followed by whitespace before a one-line document', () => {
    // (Today this works only because the trailing newline sends the text down the NDJSON path.)
    const r = parse(fixture('bom-whitespace.json'), 'bom-whitespace.json');
    expect(r.errors.map((e) => e.message)).toEqual([]);
    expect(r.events.map((e) => e.id)).toEqual([ID_A, ID_B]);
  });

  it('accepts a byte-order mark before a JSON array or a pretty-printed document (bug: JSON.parse(text) is given the BOM)', () => {
    expect(parse(`\ufeff${JSON.stringify([rec()])}`).events).toHaveLength(1);
    expect(parse(`\ufeff${JSON.stringify({ Records: [rec()] }, null, 2)}`).events).toHaveLength(1);
  });

  it('accepts an NDJSON line holding a whole {"Records":[...]} document', () => {
    const text = `${JSON.stringify(rec())}\n${JSON.stringify({ Records: [rec(), rec()] })}\n`;
    const r = parse(text);
    expect(r.errors).toEqual([]);
    expect(r.events.map((e) => e.origin)).toEqual(['f.json:1', 'f.json:2#0', 'f.json:2#1']);
  });

  it('accepts NDJSON with CRLF line endings and many blank lines', () => {
    const text = `${JSON.stringify(rec())}\r\n\r\n${' '.repeat(200)}\r\n\r\n${JSON.stringify(rec())}\r\n`;
    const r = parse(text);
    expect(r.errors).toEqual([]);
    expect(r.events.map((e) => e.origin)).toEqual(['f.json:1', 'f.json:5']);
  });

  it('accepts an empty Records array and an empty JSON array as no events', () => {
    expect(parse('{"Records":[]}')).toEqual({ events: [], errors: [] });
    expect(parse('[]')).toEqual({ events: [], errors: [] });
  });

  it('accepts all three CloudTrail EventBridge detail-types', () => {
    expect([...API_CALL_DETAIL_TYPES].sort()).toEqual([
      'AWS API Call via CloudTrail',
      'AWS Console Sign In via CloudTrail',
      'AWS Service Event via CloudTrail',
    ]);
    for (const dt of API_CALL_DETAIL_TYPES) {
      const e = accept({ version: '0', 'detail-type': dt, source: 'aws.signin', detail: rec({ eventName: 'ConsoleLogin' }) });
      expect(e.name).toBe('ConsoleLogin');
    }
  });
});

describe('rejected documents', () => {
  it('rejects non-JSON text, naming the file and quoting the start', () => {
    const r = parse('<html><body>403 Forbidden</body></html>', 'logs/x.json');
    expect(r.events).toEqual([]);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]?.location).toBe('logs/x.json');
    expect(r.errors[0]?.reason).toBe('not JSON: starts with "<html><body>403 Forb"');
  });

  it('rejects an empty or blank document', () => {
    expect(parse('').errors[0]?.reason).toBe('empty document');
    expect(parse(' \r\n\t ').errors[0]?.reason).toBe('empty document');
    expect(parse('\ufeff').errors[0]?.reason).toBe('empty document');
  });

  it('rejects malformed JSON as a whole document', () => {
    const text = JSON.stringify({ Records: [rec(), rec()] }, null, 2);
    const r = parse(text.slice(0, text.length - 20));
    expect(r.events).toEqual([]);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]?.location).toBe('f.json');
    expect(r.errors[0]?.reason).toMatch(/^malformed JSON: /);
    expect(r.errors[0]?.cause).toBeInstanceOf(SyntaxError);
  });

  it('rejects a truncated single-line document and a truncated array', () => {
    expect(parse(JSON.stringify({ Records: [rec()] }).slice(0, 40)).errors[0]?.reason).toMatch(/^malformed JSON/);
    expect(parse(JSON.stringify([rec(), rec()]).slice(0, 100)).errors[0]?.reason).toMatch(/^malformed JSON/);
  });

  it('rejects only the malformed NDJSON line and keeps the others, at file:N', () => {
    const lines = [JSON.stringify(rec()), '{"eventName": "GetUser", oops', JSON.stringify(rec()), '', '{"truncated": ', JSON.stringify(rec())];
    const r = parse(lines.join('\n'), 'export.jsonl');
    expect(r.events.map((e) => e.origin)).toEqual(['export.jsonl:1', 'export.jsonl:3', 'export.jsonl:6']);
    expect(r.errors.map((e) => e.location)).toEqual(['export.jsonl:2', 'export.jsonl:5']);
    for (const e of r.errors) expect(e.reason).toMatch(/^malformed JSON: /);
  });

  it('rejects a bad first NDJSON line only', () => {
    const r = parse(`{bad\n${JSON.stringify(rec())}\n`);
    expect(r.events).toHaveLength(1);
    expect(r.errors.map((e) => e.location)).toEqual(['f.json:1']);
  });

  it('rejects an NDJSON line that is a valid non-record (only that line)', () => {
    const r = parse(`${JSON.stringify(rec())}\n${JSON.stringify(rec())}\n"just a string"\n${JSON.stringify(rec())}\n`);
    expect(r.events).toHaveLength(3);
    expect(r.errors.map((e) => [e.location, e.reason])).toEqual([['f.json:3', 'record is a string, expected a CloudTrail record object']]);
  });

  it('rejects only a bad second NDJSON line that does not start with { (bug: looksLikeNdjson looks at line 2 only, so the whole file is rejected)', () => {
    const r = parse(`${JSON.stringify(rec())}\ngarbage\n${JSON.stringify(rec())}\n`);
    expect(r.events).toHaveLength(2);
    expect(r.errors.map((e) => e.location)).toEqual(['f.json:2']);
  });

  it.each([
    ['an object', '{"Records": {"eventName": "x"}}', /^"Records" is a.? object, expected an array$/],
    ['null', '{"Records": null}', /^"Records" is null, expected an array$/],
    ['a string', '{"Records": "[]"}', /^"Records" is a string, expected an array$/],
    ['a number', '{"Records": 3}', /^"Records" is a number, expected an array$/],
  ])('rejects "Records" that is %s', (_label, text, reason) => {
    const r = parse(text);
    expect(r.events).toEqual([]);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]?.location).toBe('f.json');
    expect(r.errors[0]?.reason).toMatch(reason);
  });

  it('says "an object" (bug: describeType writes "a object")', () => {
    expect(parse('{"Records": {}}').errors[0]?.reason).toBe('"Records" is an object, expected an array');
  });

  it('rejects records that are not objects, each at file#index, keeping the good ones', () => {
    const r = parse(JSON.stringify({ Records: ['a string', 42, null, [rec()], rec(), true] }));
    expect(r.events.map((e) => e.origin)).toEqual(['f.json#4']);
    expect(r.errors.map((e) => [e.location, e.reason])).toEqual([
      ['f.json#0', 'record is a string, expected a CloudTrail record object'],
      ['f.json#1', 'record is a number, expected a CloudTrail record object'],
      ['f.json#2', 'record is null, expected a CloudTrail record object'],
      ['f.json#3', 'record is an array, expected a CloudTrail record object'],
      ['f.json#5', 'record is a boolean, expected a CloudTrail record object'],
    ]);
  });

  it('rejects a top-level JSON value that is not an object or array', () => {
    // Starts with neither { nor [: not JSON as far as CloudTrail is concerned.
    expect(parse('42').errors[0]?.reason).toMatch(/^not JSON/);
    expect(parse('"x"').errors[0]?.reason).toMatch(/^not JSON/);
    expect(parse('null').errors[0]?.reason).toMatch(/^not JSON/);
  });
});

describe('rejected records', () => {
  it('rejects an EventBridge envelope of another detail-type, naming it', () => {
    const reason = reject({
      version: '0',
      'detail-type': 'GuardDuty Finding',
      source: 'aws.guardduty',
      detail: { type: 'Recon:EC2/PortProbeUnprotectedPort' },
    });
    expect(reason).toBe('EventBridge event of detail-type "GuardDuty Finding" does not carry a CloudTrail record');
  });

  it('rejects an envelope whose detail-type is missing or not a string', () => {
    expect(reject({ source: 'aws.ec2', detail: rec() })).toMatch(/detail-type "undefined"/);
    expect(reject({ 'detail-type': 42, source: 'aws.ec2', detail: rec() })).toMatch(/detail-type "42"/);
  });

  it('rejects an envelope without a detail object', () => {
    expect(reject({ 'detail-type': 'AWS API Call via CloudTrail', source: 'aws.iam' })).toBe('EventBridge envelope has no "detail" object');
    expect(reject({ 'detail-type': 'AWS API Call via CloudTrail', source: 'aws.iam', detail: 'x' })).toBe('EventBridge envelope has no "detail" object');
  });

  it('rejects an envelope whose detail is not a CloudTrail record', () => {
    expect(reject({ 'detail-type': 'AWS API Call via CloudTrail', source: 'aws.iam', detail: { foo: 1 } })).toMatch(/"eventName" is missing/);
  });

  it('keeps a long detail-type short in the reason', () => {
    expect(reject({ 'detail-type': 'x'.repeat(100_000), source: 'a', detail: {} }).length).toBeLessThan(200);
  });

  it('rejects lower-case keys (Panther style), saying so', () => {
    const reason = reject({
      eventname: 'GetUser',
      eventsource: 'iam.amazonaws.com',
      eventtime: '2024-05-01T10:00:00Z',
      useridentity: {},
      sourceipaddress: '1.2.3.4',
    });
    expect(reason).toMatch(/^keys are lower-case \(eventname, eventsource, eventtime, useridentity, sourceipaddress\)/);
    expect(reason).toMatch(/camelCase/);
  });

  it.each([
    ['eventName', /^not a CloudTrail record: "eventName" is missing$/],
    ['eventSource', /^"eventSource" is missing, expected a string$/],
    ['eventTime', /^"eventTime" is missing, expected a string$/],
    ['userIdentity', /^"userIdentity" is missing, expected an object$/],
  ])('rejects a record without %s', (key, reason) => {
    expect(reject(rec({ [key]: undefined }))).toMatch(reason);
  });

  it('rejects fields of the wrong type', () => {
    expect(reject(rec({ eventName: 42 }))).toBe('not a CloudTrail record: "eventName" is a number');
    expect(reject(rec({ eventName: null }))).toBe('not a CloudTrail record: "eventName" is null');
    expect(reject(rec({ eventTime: 1714557600000 }))).toBe('"eventTime" is a number, expected a string');
    expect(reject(rec({ userIdentity: 'alice' }))).toBe('"userIdentity" is a string, expected an object');
    expect(reject(rec({ userIdentity: [] }))).toBe('"userIdentity" is an array, expected an object');
    expect(reject(rec({ userIdentity: null }))).toBe('"userIdentity" is null, expected an object');
    expect(reject(rec({ awsRegion: ['us-east-1'] }))).toBe('"awsRegion" is an array, expected a string');
    expect(reject(rec({ sourceIPAddress: 3232235777 }))).toBe('"sourceIPAddress" is a number, expected a string');
    expect(reject(rec({ userAgent: { ua: 'x' } }))).toMatch(/^"userAgent" is a.? object, expected a string$/);
    expect(reject(rec({ userIdentity: { type: 'IAMUser', arn: 42 } }))).toBe('"userIdentity.arn" is a number, expected a string');
  });

  it('accepts null for optional fields', () => {
    const e = accept(rec({ sourceIPAddress: null, userAgent: null, errorCode: null, awsRegion: null }));
    expect(e.sourceKind).toBe('missing');
    expect(e.userAgent).toBe('');
    expect(e.region).toBe('');
  });

  it.each(['not a time', '', '2024-13-01T00:00:00Z', '2024-05-01T25:00:00Z', 'yesterday'])('rejects the eventTime %j', (t) => {
    const reason = reject(rec({ eventTime: t }));
    expect(reason).toMatch(/^"eventTime" is not an? (ISO-8601 )?time: /);
    expect(reason.endsWith(JSON.stringify(t))).toBe(true);
  });

  it('keeps a long bad eventTime short in the reason (the field limit applies first)', () => {
    expect(reject(rec({ eventTime: 'x'.repeat(10_000) }))).toBe('"eventTime" is 10000 characters long; the limit is 64 (CloudTrail never writes more)');
  });

  it.each(['1', '42', '0', 'May 1', 'Wed May 01 2024', '1714557600000'])('rejects the non-ISO eventTime %j', (t) => {
    expect(toApiEvent(rec({ eventTime: t }), 'f.json#0')).toBeInstanceOf(InputError);
  });

  it('rejects an impossible calendar date (bug: Date.parse rolls 2024-02-30 over to 2024-03-01)', () => {
    for (const t of ['2024-02-30T00:00:00Z', '2023-02-29T00:00:00Z', '2024-04-31T00:00:00Z']) {
      expect(toApiEvent(rec({ eventTime: t }), 'f.json#0'), t).toBeInstanceOf(InputError);
    }
  });

  it('reads an eventTime without a time zone as UTC, whatever the local zone of the machine', () => {
    const saved = process.env.TZ;
    try {
      process.env.TZ = 'America/New_York';
      const r = toApiEvent(rec({ eventTime: '2024-05-01T10:00:00' }), 'f.json#0');
      if (!(r instanceof InputError)) expect(r.time).toBe(Date.UTC(2024, 4, 1, 10, 0, 0));
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });

  it('reads fractions and offsets', () => {
    expect(accept(rec({ eventTime: '2024-05-01T10:00:00.123Z' })).time).toBe(Date.UTC(2024, 4, 1, 10, 0, 0, 123));
    expect(accept(rec({ eventTime: '2024-05-01T12:00:00+02:00' })).time).toBe(Date.UTC(2024, 4, 1, 10, 0, 0));
  });

  it('rejects a 10 MB userAgent, naming the field and its length', () => {
    const ua = 'A'.repeat(10 * 1024 * 1024);
    const r = parse(JSON.stringify({ Records: [rec(), rec({ userAgent: ua }), rec()] }));
    expect(r.events.map((e) => e.origin)).toEqual(['f.json#0', 'f.json#2']);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]?.location).toBe('f.json#1');
    expect(r.errors[0]?.reason).toBe(`"userAgent" is ${10 * 1024 * 1024} characters long; the limit is 8192 (CloudTrail never writes more)`);
  });

  it('rejects over-long identity fields', () => {
    expect(reject(rec({ userIdentity: { type: 'IAMUser', arn: `arn:aws:iam::1:user/${'x'.repeat(5000)}` } }))).toMatch(
      /^"userIdentity\.arn" is \d+ characters long; the limit is 2048$/,
    );
    expect(reject(rec({ eventName: 'x'.repeat(257) }))).toMatch(/^"eventName" is 257 characters long; the limit is 256/);
  });

  it('accepts a 10 MB string inside requestParameters, unchanged', () => {
    const big = 'B'.repeat(10 * 1024 * 1024);
    const r = parse(JSON.stringify({ Records: [rec({ requestParameters: { policyDocument: big } }), rec()] }));
    expect(r.errors).toEqual([]);
    expect(r.events).toHaveLength(2);
    expect((r.events[0]?.record.requestParameters as { policyDocument: string } | undefined)?.policyDocument).toHaveLength(big.length);
  });

  it('accepts userAgent at exactly the limit', () => {
    expect(accept(rec({ userAgent: 'u'.repeat(8192) })).userAgent).toHaveLength(8192);
  });
});

describe('hostile text in fields', () => {
  it('keeps control, bidi, zero-width, NUL, lone surrogate and emoji characters as they are', () => {
    const ua = 'x\u001b[31mred\u202egpj.exe\u200b\u0000\ud800\udfff😀';
    const e = accept(rec({ userAgent: ua, requestParameters: { name: '\u202e\u0000\ud83d' } }));
    expect(e.userAgent).toBe(ua);
    expect((e.record.requestParameters as { name: string }).name).toBe('\u202e\u0000\ud83d');
  });

  it('parses the hostile fixture of the bad-input test', () => {
    const text = readFileSync(join(FORMATS, '..', 'bad-input', 'hostile.json'), 'utf8');
    const r = parse(text);
    expect(r.errors).toEqual([]);
    expect(r.events).toHaveLength(1);
    expect(r.events[0]?.userAgent).toContain('\u001b[31m');
    expect(r.events[0]?.userAgent).toContain('\ud800');
  });
});

describe('sourceKind', () => {
  it.each([
    ['198.51.100.7', 'ip', '198.51.100.7'],
    ['2001:db8::7', 'ip', '2001:db8::7'],
    ['2001:DB8:0:0::7', 'ip', '2001:db8::7'],
    ['::ffff:198.51.100.7', 'ip', '198.51.100.7'],
    ['ec2.amazonaws.com', 'service', undefined],
    ['cloudformation.amazonaws.com', 'service', undefined],
    ['lambda.amazonaws.com.cn', 'service', undefined],
    ['AWS Internal', 'aws-internal', undefined],
    ['', 'missing', undefined],
    ['08.1.250.216', 'invalid', undefined],
    ['010.0.0.1', 'invalid', undefined],
    ['fe80::1%eth0', 'invalid', undefined],
    ['EC2.AMAZONAWS.COM', 'invalid', undefined],
    ['evil.example.com', 'invalid', undefined],
    ['198.51.100.7, 10.0.0.1', 'invalid', undefined],
  ])('%j is %s', (source, kind, address) => {
    const e = accept(rec({ sourceIPAddress: source }));
    expect(e.sourceKind).toBe(kind);
    expect(e.sourceText).toBe(source);
    expect(e.ip ? formatIp(e.ip) : undefined).toBe(address);
  });

  it('is missing when the field is absent', () => {
    const e = accept(rec({ sourceIPAddress: undefined }));
    expect(e.sourceKind).toBe('missing');
    expect(e.ip).toBeUndefined();
    expect(e.sourceText).toBe('');
  });
});

describe('principal', () => {
  it('IAMUser: the user name', () => {
    const p = accept(rec()).principal;
    expect(p).toMatchObject({
      type: 'IAMUser',
      arn: 'arn:aws:iam::111122223333:user/alice',
      principalId: 'AIDAEXAMPLEALICE0001',
      accountId: '111122223333',
      accessKeyId: 'AKIAEXAMPLEALICE0001',
      userName: 'alice',
      sessionName: '',
      roleArn: '',
    });
  });

  it('AssumedRole: role name, session name, role ARN and session creation time', () => {
    const p = accept(
      rec({
        userIdentity: {
          type: 'AssumedRole',
          principalId: 'AROAEXAMPLEROLE00001:i-0a1b2c3d4e5f67890',
          arn: 'arn:aws:sts::111122223333:assumed-role/AppRole/i-0a1b2c3d4e5f67890',
          accountId: '111122223333',
          accessKeyId: 'ASIAEXAMPLEINSTANCE1',
          sessionContext: {
            sessionIssuer: {
              type: 'Role',
              principalId: 'AROAEXAMPLEROLE00001',
              arn: 'arn:aws:iam::111122223333:role/AppRole',
              accountId: '111122223333',
              userName: 'AppRole',
            },
            attributes: { creationDate: '2024-05-01T09:00:00Z', mfaAuthenticated: 'false' },
            ec2RoleDelivery: '2.0',
          },
        },
      }),
    ).principal;
    expect(p).toMatchObject({
      type: 'AssumedRole',
      userName: 'AppRole',
      sessionName: 'i-0a1b2c3d4e5f67890',
      roleArn: 'arn:aws:iam::111122223333:role/AppRole',
      accessKeyId: 'ASIAEXAMPLEINSTANCE1',
      ec2RoleDelivery: '2.0',
      issuedAt: Date.parse('2024-05-01T09:00:00Z'),
    });
  });

  it('AssumedRole without a session context: names from the ARN, a session name with slashes kept whole', () => {
    const p = toPrincipal({ type: 'AssumedRole', arn: 'arn:aws:sts::111122223333:assumed-role/Deployer/ci/run-42', principalId: 'AROAX:ci/run-42' });
    expect(p.userName).toBe('Deployer');
    expect(p.sessionName).toBe('ci/run-42');
    expect(p.roleArn).toBe('');
    expect(p.issuedAt).toBeUndefined();
  });

  it('AssumedRole with only a principalId: the session from it', () => {
    const p = toPrincipal({
      type: 'AssumedRole',
      principalId: 'AROAEXAMPLE:my-session',
      sessionContext: { sessionIssuer: { userName: 'R', arn: 'arn:aws:iam::1:role/R' } },
    });
    expect(p.userName).toBe('R');
    expect(p.sessionName).toBe('my-session');
    expect(p.roleArn).toBe('arn:aws:iam::1:role/R');
  });

  it("Root: 'Root'", () => {
    const p = accept(
      rec({
        userIdentity: { type: 'Root', principalId: '111122223333', arn: 'arn:aws:iam::111122223333:root', accountId: '111122223333', accessKeyId: 'ASIAROOT' },
      }),
    ).principal;
    expect(p.type).toBe('Root');
    expect(p.userName).toBe('Root');
  });

  it('AWSService: the invoking service', () => {
    const e = accept(rec({ userIdentity: { type: 'AWSService', invokedBy: 'ec2.amazonaws.com' }, sourceIPAddress: 'ec2.amazonaws.com' }));
    expect(e.principal.userName).toBe('ec2.amazonaws.com');
    expect(e.principal.invokedBy).toBe('ec2.amazonaws.com');
    expect(e.sourceKind).toBe('service');
  });

  it('FederatedUser: the name from the ARN', () => {
    const p = toPrincipal({
      type: 'FederatedUser',
      principalId: '111122223333:Bob',
      arn: 'arn:aws:sts::111122223333:federated-user/Bob',
      accountId: '111122223333',
    });
    expect(p.userName).toBe('Bob');
    expect(toPrincipal({ type: 'FederatedUser', arn: 'arn:aws:sts::1:federated-user/Bob', userName: 'Robert' }).userName).toBe('Robert');
  });

  it('an empty identity gives empty strings, not undefined', () => {
    expect(toPrincipal({})).toEqual({
      type: '',
      arn: '',
      principalId: '',
      accountId: '',
      accessKeyId: '',
      userName: '',
      sessionName: '',
      roleArn: '',
      invokedBy: '',
      ec2RoleDelivery: '',
      issuedAt: undefined,
    });
  });

  it('ignores a session context of the wrong shape', () => {
    const p = toPrincipal({ type: 'AssumedRole', arn: 'arn:aws:sts::1:assumed-role/R/s', sessionContext: 'x' as never });
    expect(p.userName).toBe('R');
    expect(p.sessionName).toBe('s');
  });
});

describe('account, partition and other normalised fields', () => {
  it('takes the account from recipientAccountId first', () => {
    expect(accept(rec({ recipientAccountId: '999988887777' })).account).toBe('999988887777');
  });

  it('else from the identity', () => {
    expect(accept(rec({ recipientAccountId: undefined })).account).toBe('111122223333');
  });

  it('else from the ARN', () => {
    const e = accept(rec({ recipientAccountId: undefined, userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::555566667777:user/x' } }));
    expect(e.account).toBe('555566667777');
  });

  it('else empty', () => {
    expect(accept(rec({ recipientAccountId: undefined, userIdentity: { type: 'AWSService', invokedBy: 'x' } })).account).toBe('');
  });

  it('finds the partition from the ARN, else the region', () => {
    expect(accept(rec()).partition).toBe('aws');
    expect(accept(rec({ userIdentity: { type: 'IAMUser', arn: 'arn:aws-cn:iam::1:user/x' } })).partition).toBe('aws-cn');
    expect(accept(rec({ userIdentity: { type: 'AWSService' }, awsRegion: 'cn-north-1' })).partition).toBe('aws-cn');
    expect(accept(rec({ userIdentity: { type: 'AWSService' }, awsRegion: 'us-gov-west-1' })).partition).toBe('aws-us-gov');
    expect(accept(rec({ userIdentity: { type: 'AWSService' }, awsRegion: 'eu-west-1' })).partition).toBe('aws');
  });

  it('normalises category, readOnly and errorCode', () => {
    expect(accept(rec()).category).toBe('Management');
    expect(accept(rec({ eventCategory: 'Data' })).category).toBe('Data');
    expect(accept(rec({ eventCategory: undefined, managementEvent: false })).category).toBe('Data');
    expect(accept(rec({ eventCategory: undefined, managementEvent: undefined })).category).toBe('Management');
    expect(accept(rec({ readOnly: false })).readOnly).toBe(false);
    expect(accept(rec({ readOnly: 'true' })).readOnly).toBeUndefined();
    expect(accept(rec({ errorCode: 'AccessDenied' })).errorCode).toBe('AccessDenied');
    expect(accept(rec({ errorCode: '' })).errorCode).toBeUndefined();
    expect(accept(rec()).errorCode).toBeUndefined();
  });

  it('keeps the original record', () => {
    const r = rec({ additionalEventData: { MFAUsed: 'No' } });
    expect(accept(r).record).toEqual(r);
  });
});

describe('event id', () => {
  it('is the eventID when there is one', () => {
    expect(accept(rec({ eventID: 'abc' })).id).toBe('abc');
  });

  it('is a stable content hash when there is none', () => {
    const r = rec({ eventID: undefined });
    const a = accept(r).id;
    expect(a).toMatch(/^sha256:[0-9a-f]{32}$/);
    // The same content parsed again, from another file, gives the same id.
    expect(accept(JSON.parse(JSON.stringify(r))).id).toBe(a);
    const doc = JSON.stringify({ Records: [r] });
    expect(parse(doc, 'one.json').events[0]?.id).toBe(a);
    expect(parse(doc, 'other.json').events[0]?.id).toBe(a);
    // Different content, different id.
    expect(accept({ ...r, eventName: 'ListUsers' }).id).not.toBe(a);
    expect(accept({ ...r, eventTime: '2024-05-01T10:00:01Z' }).id).not.toBe(a);
  });

  it('is a content hash for an empty eventID', () => {
    expect(accept(rec({ eventID: '' })).id).toMatch(/^sha256:/);
  });

  it('is the content hash of the record, not of the envelope', () => {
    const r = rec({ eventID: undefined });
    const plain = accept(r).id;
    const wrapped = accept({ 'detail-type': 'AWS API Call via CloudTrail', source: 'aws.iam', id: 'envelope-1', detail: r }).id;
    expect(wrapped).toBe(plain);
  });
});
