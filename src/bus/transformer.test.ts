import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../core/finding.js';
import { findingEvent } from './event.js';
import {
  applyInputPath,
  applyInputTransformer,
  compileInputTransformer,
  InvalidInputTransformerError,
  renderTargetInput,
  TRANSFORMER_LIMITS,
  validateTargetInput,
} from './transformer.js';

const ROOT = join(import.meta.dirname, '..', '..');
const CASES = join(ROOT, '..', 'shared', 'conformance', 'eventbridge', 'input-transformer-cases.jsonl');
const GOLDEN = join(ROOT, 'test', 'golden', 'workshop-findings.json');

interface Row {
  name: string;
  event: unknown;
  input_path?: string;
  input_paths_map?: Record<string, string>;
  input_template?: string;
  expected_json?: unknown;
  expected_text?: string;
  expected_error?: { Code: string; Message: string };
  expected_delivery?: false;
}

const rows: Row[] = readFileSync(CASES, 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as Row);

/**
 * LocalStack's snapshots replaced run-specific values with placeholders (eventbridge.md §2.3): the event id with
 * `<uuid>` (and `<uuid:N>` in expectations), the rule ARN's parts, and the ingestion time with `date` in the text
 * case but `<ingestion-time>` in the JSON case. The context feeds exactly those placeholders in.
 */
function ctxFor(row: Row) {
  return {
    ruleName: '<rule-name>',
    ruleArn: 'arn:<partition>:events:<region>:111111111111:rule/<bus-name>/<rule-name>',
    ingestionTime: row.expected_text !== undefined ? 'date' : '<ingestion-time>',
  };
}

function normalise(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v).replace(/<uuid:\d+>/g, '<uuid>'));
}

describe('input-transformer conformance (AWS-recorded cases)', () => {
  it('has all 31 rows', () => {
    expect(rows).toHaveLength(31);
  });

  for (const row of rows) {
    it(row.name, () => {
      const target = {
        id: '<target-id>',
        inputPath: row.input_path,
        inputTransformer: row.input_template !== undefined ? { inputPathsMap: row.input_paths_map ?? {}, inputTemplate: row.input_template } : undefined,
      };
      if (row.expected_error) {
        let err: unknown;
        try {
          validateTargetInput(target);
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(InvalidInputTransformerError);
        expect((err as InvalidInputTransformerError).code).toBe('E_TRANSFORMER');
        expect((err as InvalidInputTransformerError).phase).toBe('config');
        expect((err as Error).message).toBe(row.expected_error.Message);
        return;
      }
      validateTargetInput(target);
      if (row.expected_delivery === false) {
        let err: unknown;
        try {
          renderTargetInput(target, row.event, ctxFor(row));
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(InvalidInputTransformerError);
        expect((err as InvalidInputTransformerError).phase).toBe('output');
        return;
      }
      const out = renderTargetInput(target, row.event, ctxFor(row));
      expect(out.custom).toBe(true);
      if (row.expected_text !== undefined) expect(out.text).toBe(row.expected_text);
      else expect(normalise(JSON.parse(out.text))).toEqual(normalise(row.expected_json));
    });
  }
});

describe('applyInputPath', () => {
  const event = { detail: { a: [{ b: 1 }, { b: 'two' }], s: 'x"y' }, 'detail-type': 'T' };
  it('resolves dot notation, indices and dashed names', () => {
    expect(applyInputPath(event, '$.detail.a[1].b')).toBe('"two"');
    expect(applyInputPath(event, '$.detail.a[0]')).toBe('{"b":1}');
    expect(applyInputPath(event, '$.detail-type')).toBe('"T"');
    expect(applyInputPath(event, '$')).toBe(JSON.stringify(event));
    expect(applyInputPath(event, '$.detail.s')).toBe('"x\\"y"');
  });
  it('delivers null for a path that matches nothing', () => {
    expect(applyInputPath(event, '$.detail.nope.deeper')).toBe('null');
    expect(applyInputPath(event, '$.detail.a[5]')).toBe('null');
  });
  it('does not walk into the prototype', () => {
    expect(applyInputPath(event, '$.detail.constructor')).toBe('null');
    expect(applyInputPath(event, '$.detail.__proto__')).toBe('null');
  });
  it.each([
    ['detail.a', 'must start with "$"'],
    ['$..a', 'recursive descent'],
    ['$.a.*', 'wildcards'],
    ["$['a']", 'dot notation'],
    ['$.a[0', 'unclosed'],
    ['$.', 'empty name'],
    ['', 'empty'],
    [`$.${'a'.repeat(300)}`, 'longer than 256'],
  ])('rejects %j (%s)', (path, why) => {
    expect(() => applyInputPath(event, path)).toThrow(InvalidInputTransformerError);
    expect(() => applyInputPath(event, path)).toThrow(why);
  });
});

describe('applyInputTransformer edge cases', () => {
  const event = {
    version: '0',
    id: 'e-1',
    'detail-type': 'GuardDuty Finding',
    source: 'aws.guardduty',
    account: '111122223333',
    time: '2026-01-01T00:00:00Z',
    region: 'us-west-2',
    resources: [],
    detail: { ua: 'curl "quoted"\n<b>', n: 8.5, t: false, z: null, obj: { k: 'v' } },
  };
  const ctx = { ruleName: 'r1', ruleArn: 'arn:aws:events:us-west-2:111122223333:rule/r1', ingestionTime: Date.parse('2026-01-02T03:04:05.678Z') };

  it('escapes strings inside a JSON template so the output stays valid JSON', () => {
    const out = applyInputTransformer(event, { inputPathsMap: { ua: '$.detail.ua' }, inputTemplate: '{"a": "UA: <ua>", "b": <ua>}' });
    expect(JSON.parse(out)).toEqual({ a: `UA: ${event.detail.ua}`, b: event.detail.ua });
  });
  it('inserts strings raw in a string template', () => {
    expect(applyInputTransformer(event, { inputPathsMap: { ua: '$.detail.ua' }, inputTemplate: '"UA: <ua>"' })).toBe(`"UA: ${event.detail.ua}"`);
    expect(applyInputTransformer(event, { inputPathsMap: { ua: '$.detail.ua' }, inputTemplate: 'UA <ua> end' })).toBe(`UA ${event.detail.ua} end`);
  });
  it('numbers, booleans and null', () => {
    const t = { inputPathsMap: { n: '$.detail.n', t: '$.detail.t', z: '$.detail.z' }, inputTemplate: '{"n": <n>, "t": <t>, "z": <z>, "s": "<n>/<t>/<z>"}' };
    expect(JSON.parse(applyInputTransformer(event, t))).toEqual({ n: 8.5, t: false, z: null, s: '8.5/false/null' });
    expect(applyInputTransformer(event, { inputPathsMap: t.inputPathsMap, inputTemplate: '"<n> <t> <z>"' })).toBe('"8.5 false null"');
  });
  it('a lone placeholder is a JSON template', () => {
    expect(applyInputTransformer(event, { inputPathsMap: { ua: '$.detail.ua' }, inputTemplate: '<ua>' })).toBe(JSON.stringify(event.detail.ua));
    expect(JSON.parse(applyInputTransformer(event, { inputTemplate: '<aws.events.event.json>' }))).toEqual(event);
    expect(JSON.parse(applyInputTransformer(event, { inputPathsMap: { o: '$.detail.obj' }, inputTemplate: '  <o>  ' }))).toEqual({ k: 'v' });
  });
  it('predefined variables take the context', () => {
    const out = applyInputTransformer(
      event,
      { inputTemplate: '{"arn": <aws.events.rule-arn>, "name": "<aws.events.rule-name>", "at": <aws.events.event.ingestion-time>, "e": <aws.events.event>}' },
      ctx,
    );
    expect(JSON.parse(out)).toEqual({
      arn: ctx.ruleArn,
      name: 'r1',
      at: '2026-01-02T03:04:05Z',
      e: {
        id: 'e-1',
        account: '111122223333',
        detailType: 'GuardDuty Finding',
        time: '2026-01-02T03:04:05Z',
        source: 'aws.guardduty',
        region: 'us-west-2',
        resources: [],
        version: '0',
      },
    });
    // Without a context: empty rule names, the event's own time.
    expect(applyInputTransformer(event, { inputTemplate: '"[<aws.events.rule-name>] <aws.events.event.ingestion-time>"' })).toBe('"[] 2026-01-01T00:00:00Z"');
  });
  it('leaves text that is not a placeholder alone', () => {
    expect(applyInputTransformer(event, { inputTemplate: '"a < b > c <https://x.example/> <a b>"' })).toBe('"a < b > c <https://x.example/> <a b>"');
  });
  it('a quote escaped inside a JSON string does not end it', () => {
    const out = applyInputTransformer(event, { inputPathsMap: { o: '$.detail.obj' }, inputTemplate: '{"a": "say \\"hi\\"", "b": <o>}' });
    expect(JSON.parse(out)).toEqual({ a: 'say "hi"', b: { k: 'v' } });
  });
  it('an object inside a JSON string drops the delivery (phase output)', () => {
    const c = compileInputTransformer({ inputPathsMap: { o: '$.detail.obj' }, inputTemplate: '{"a": "x <o>"}' });
    expect(() => c.apply(event)).toThrow(expect.objectContaining({ phase: 'output', code: 'E_TRANSFORMER' }));
  });

  it.each([
    [{ inputTemplate: '' }, 'non-empty'],
    [{ inputTemplate: 'x'.repeat(TRANSFORMER_LIMITS.maxTemplateLength + 1) }, 'at most 8192'],
    [{ inputPathsMap: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`k${i}`, '$.id'])), inputTemplate: '"x"' }, 'at most 100'],
    [{ inputPathsMap: { 'AWS.x': '$.id' }, inputTemplate: '"x"' }, 'must not start with "AWS."'],
    [{ inputPathsMap: { 'aws.events.rule-name': '$.id' }, inputTemplate: '"x"' }, 'cannot be redefined'],
    [{ inputPathsMap: { 'bad key': '$.id' }, inputTemplate: '"x"' }, 'must be 1-256 characters'],
    [{ inputPathsMap: { k: 'id' }, inputTemplate: '"<k>"' }, 'must start with "$"'],
    [{ inputTemplate: '"<nope>"' }, 'contains invalid placeholder nope.'],
    [{ inputPathsMap: { k: '$.id' }, inputTemplate: '{<k>: 1}' }, 'not valid JSON'],
    [{ inputPathsMap: { k: '$.id' }, inputTemplate: '{"<k>": 1}' }, 'object key'],
    [{ inputPathsMap: { k: '$.id' }, inputTemplate: '{"a": <k>' }, 'not valid JSON'],
    [{ inputTemplate: '"event: <aws.events.event.json>"' }, 'may only be used as a JSON value'],
    [{ inputTemplate: '{"e": "<aws.events.event>"}' }, 'may only be used as a JSON value'],
  ])('rejects %#: %s', (t, why) => {
    let err: unknown;
    try {
      compileInputTransformer(t as { inputTemplate: string }, 'tgt');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidInputTransformerError);
    expect((err as InvalidInputTransformerError).phase).toBe('config');
    expect((err as Error).message).toContain(why);
  });

  it('allows exactly 100 variables and 8192 characters', () => {
    const map = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, '$.id']));
    const tpl = `"${'<k0>'}${'x'.repeat(TRANSFORMER_LIMITS.maxTemplateLength - 6)}"`;
    expect(tpl).toHaveLength(8192);
    expect(applyInputTransformer(event, { inputPathsMap: map, inputTemplate: tpl })).toBe(`"e-1${'x'.repeat(8186)}"`);
  });
});

describe('renderTargetInput', () => {
  const event = { id: 'e', detail: { a: 1 } };
  it('whole event when nothing is set', () => {
    expect(renderTargetInput({}, event)).toEqual({ text: JSON.stringify(event), custom: false });
  });
  it('constant input', () => {
    expect(renderTargetInput({ input: '{"fixed":true}' }, event)).toEqual({ text: '{"fixed":true}', custom: true });
    expect(() => renderTargetInput({ input: 'not json' }, event)).toThrow('valid JSON');
  });
  it('input path', () => {
    expect(renderTargetInput({ inputPath: '$.detail' }, event)).toEqual({ text: '{"a":1}', custom: true });
  });
  it('only one of the three', () => {
    expect(() => renderTargetInput({ id: 't1', input: '1', inputPath: '$' }, event)).toThrow(
      'Only one of Input, InputPath, or InputTransformer must be provided for target t1.',
    );
  });
});

describe("the workshop's four rules on the golden findings", () => {
  const findings = JSON.parse(readFileSync(GOLDEN, 'utf8')) as Finding[];
  const byType = (type: string) => {
    const f = findings.find((x) => x.type === type);
    if (!f) throw new Error(`no golden finding of type ${type}`);
    return f;
  };
  const at = Date.parse('2026-01-01T00:00:00Z');
  const ctx = { ruleName: 'r', ruleArn: 'arn:aws:events:us-west-2:111122223333:rule/r', ingestionTime: at };
  const render = (f: Finding, t: { inputPathsMap: Record<string, string>; inputTemplate: string }) =>
    renderTargetInput({ id: 'GuardDutySNSTopic', inputTransformer: t }, findingEvent(f, at, 'evt-1'), ctx);

  const ec2 = {
    inputPathsMap: { instanceid: '$.detail.resource.instanceDetails.instanceId', gdid: '$.detail.id' },
    inputTemplate:
      '"GuardDuty Finding | ID:<gdid>: The EC2 instance <instanceid> may be compromised and should be investigated. Go to https://console.aws.amazon.com/guardduty"',
  };
  const ice = {
    inputPathsMap: { userName: '$.detail.resource.accessKeyDetails.userName', gdid: '$.detail.id' },
    inputTemplate:
      '"GuardDuty Finding | ID:<gdid>: An EC2 instance IAM credentials (Role: <userName>) may be compromised and should be investigated. Go to https://console.aws.amazon.com/guardduty"',
  };
  const iamThreat = {
    inputPathsMap: { userName: '$.detail.resource.accessKeyDetails.userName', gdid: '$.detail.id' },
    inputTemplate:
      '"GuardDuty Finding | ID:<gdid>: An AWS API operation was invoked (userName: <userName>) from an IP address that is included on your threat list and should be investigated. Go to https://console.aws.amazon.com/guardduty"',
  };
  const s3 = {
    inputPathsMap: { userName: '$.detail.resource.accessKeyDetails.userName', gdid: '$.detail.id', account: '$.detail.accountId' },
    inputTemplate:
      '"GuardDuty Finding | ID:<gdid>: An AWS S3 related API operation was invoked by user (userName: <userName>) in account <account> . This activity seems suspicious. Please investigate with the user to check if this was expectated behaviour. Go to https://console.aws.amazon.com/guardduty"',
  };

  it('IAMUser MaliciousIPCaller (both finding types it routes)', () => {
    for (const type of ['UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom', 'Discovery:S3/MaliciousIPCaller.Custom']) {
      const f = byType(type);
      expect(render(f, iamThreat)).toEqual({
        text: `"GuardDuty Finding | ID:${f.id}: An AWS API operation was invoked (userName: GuardDuty-Example-Compromised-Simulated) from an IP address that is included on your threat list and should be investigated. Go to https://console.aws.amazon.com/guardduty"`,
        custom: true,
      });
    }
    expect(render(byType('UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom'), iamThreat).text).toBe(
      '"GuardDuty Finding | ID:99d76ff4d672073aec675faec9b00212: An AWS API operation was invoked (userName: GuardDuty-Example-Compromised-Simulated) from an IP address that is included on your threat list and should be investigated. Go to https://console.aws.amazon.com/guardduty"',
    );
  });

  it('InstanceCredentialExfiltration', () => {
    const f = byType('UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS');
    expect(render(f, ice).text).toBe(
      '"GuardDuty Finding | ID:05020899fafca4ac9cb826407ee0956b: An EC2 instance IAM credentials (Role: GuardDuty-Example-EC2-Compromised) may be compromised and should be investigated. Go to https://console.aws.amazon.com/guardduty"',
    );
  });

  it('S3 Stealth / Policy', () => {
    for (const [type, id] of [
      ['Stealth:S3/ServerAccessLoggingDisabled', '5361855b80b55fa657e7e64ebe65e90f'],
      ['Policy:S3/BucketBlockPublicAccessDisabled', '2eee300d057f350ebe75618e07d8c32b'],
    ] as const) {
      expect(render(byType(type), s3).text).toBe(
        `"GuardDuty Finding | ID:${id}: An AWS S3 related API operation was invoked by user (userName: GuardDuty-Example-Compromised2-Simulated) in account 111122223333 . This activity seems suspicious. Please investigate with the user to check if this was expectated behaviour. Go to https://console.aws.amazon.com/guardduty"`,
      );
    }
  });

  it('EC2 MaliciousIPCaller (no EC2 finding in the golden set: applied to the exfiltration finding, which names an instance)', () => {
    const f = byType('UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS');
    expect(render(f, ec2).text).toBe(
      '"GuardDuty Finding | ID:05020899fafca4ac9cb826407ee0956b: The EC2 instance i-0a1b2c3d4e5f67890 may be compromised and should be investigated. Go to https://console.aws.amazon.com/guardduty"',
    );
    // A finding without an instance: the variable is empty, as AWS does for a missing path.
    expect(render(byType('Recon:IAMUser/MaliciousIPCaller.Custom'), ec2).text).toContain('The EC2 instance  may be compromised');
  });
});
