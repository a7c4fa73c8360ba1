import { describe, expect, it } from 'vitest';
import { runTestPattern, type TestPatternIo } from './test-pattern.js';

function fakeIo(files: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: TestPatternIo = {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    readFile: async (p) => {
      const f = files[p];
      if (f === undefined) throw new Error(`ENOENT: no such file '${p}'`);
      return f;
    },
  };
  return { io, out: () => out.join(''), err: () => err.join('') };
}

describe('runTestPattern --pattern/--event', () => {
  it('prints true for a match and returns 0', async () => {
    const f = fakeIo();
    expect(await runTestPattern({ pattern: '{"source":["aws.guardduty"]}', event: '{"source":"aws.guardduty"}' }, f.io)).toBe(0);
    expect(f.out()).toBe('true\n');
    expect(f.err()).toBe('');
  });

  it('prints false for no match and returns 0', async () => {
    const f = fakeIo();
    expect(await runTestPattern({ pattern: '{"source":["aws.guardduty"]}', event: '{"source":"aws.ec2"}' }, f.io)).toBe(0);
    expect(f.out()).toBe('false\n');
  });

  it('reads @FILE arguments and keeps number literals', async () => {
    const f = fakeIo({ 'p.json': '{"x":[{"numeric":["=",3.0e2]}]}', 'e.json': '{"x":300.0}' });
    expect(await runTestPattern({ pattern: '@p.json', event: '@e.json' }, f.io)).toBe(0);
    expect(f.out()).toBe('true\n');
  });

  it("reports an invalid pattern with AWS's exception name and message, exit 2", async () => {
    const f = fakeIo();
    expect(await runTestPattern({ pattern: '{"int": 42}', event: '{}' }, f.io)).toBe(2);
    expect(f.err()).toBe('InvalidEventPatternException: Event pattern is not valid. Reason: "int" must be an object or an array\n');
    expect(f.out()).toBe('');
  });

  it('rejects an event that is not a JSON object, exit 2', async () => {
    const f = fakeIo();
    expect(await runTestPattern({ pattern: '{"a":["b"]}', event: '[1]' }, f.io)).toBe(2);
    expect(f.err()).toMatch(/^ValidationException: Event must be a JSON object/);
  });

  it('needs both --pattern and --event', async () => {
    const f = fakeIo();
    expect(await runTestPattern({ pattern: '{"a":["b"]}' }, f.io)).toBe(2);
    expect(f.err()).toMatch(/--pattern and --event/);
  });

  it('reports an unreadable @FILE, exit 2', async () => {
    const f = fakeIo();
    expect(await runTestPattern({ pattern: '@missing.json', event: '{}' }, f.io)).toBe(2);
    expect(f.err()).toMatch(/missing\.json/);
  });
});

describe('runTestPattern --cases', () => {
  it('writes one line per input line, in order', async () => {
    const lines = [
      JSON.stringify({ pattern: { a: ['x'] }, event: { a: 'x' } }),
      JSON.stringify({ pattern: { a: ['x'] }, event: { a: 'y' } }),
      JSON.stringify({ raw_pattern: '{"a":[300]}', raw_event: '{"a":3.0e2}' }),
      JSON.stringify({ raw_pattern: '{"a":["x"],"a":["y"]}', raw_event: '{"a":"x"}' }),
      JSON.stringify({ pattern: { a: [] }, event: { a: 'x' } }),
      'not json',
      '',
      JSON.stringify({ pattern: '{"a":[true]}', event: '{"a":true}' }),
    ];
    const f = fakeIo({ 'cases.jsonl': `${lines.join('\n')}\n` });
    expect(await runTestPattern({ cases: 'cases.jsonl' }, f.io)).toBe(0);
    const out = f
      .out()
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(out).toHaveLength(lines.length);
    expect(out[0]).toEqual({ match: true });
    expect(out[1]).toEqual({ match: false });
    expect(out[2]).toEqual({ match: true });
    expect(out[3]).toEqual({ match: false });
    expect(out[4]).toEqual({ error: 'Event pattern is not valid. Reason: Empty arrays are not allowed' });
    expect(out[5].error).toMatch(/not valid JSON/);
    expect(out[6]).toEqual({ error: 'empty line' });
    expect(out[7]).toEqual({ match: true });
  });

  it('returns 2 when the cases file cannot be read', async () => {
    const f = fakeIo();
    expect(await runTestPattern({ cases: 'nope.jsonl' }, f.io)).toBe(2);
    expect(f.err()).toMatch(/cannot read nope\.jsonl/);
  });
});
