import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers.js';
import { InputError } from '../core/errors.js';
import { discoverInputs } from './discover.js';

function put(root: string, rel: string, content = '{"Records":[]}'): string {
  const path = join(root, rel);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
  return path;
}

const ACCT = '111122223333';
const ORG_ACCT = '444455556666';

/** A synced S3 bucket: a plain trail, an organization trail, digests, and junk that must be skipped. */
function s3Tree(): { root: string; expected: string[] } {
  const root = tempDir();
  const trail = (region: string, day: string, name: string) =>
    `AWSLogs/${ACCT}/CloudTrail/${region}/2024/05/${day}/${ACCT}_CloudTrail_${region}_${name}.json.gz`;
  const org = (region: string, day: string, name: string) =>
    `AWSLogs/o-abc123/${ORG_ACCT}/CloudTrail/${region}/2024/05/${day}/${ORG_ACCT}_CloudTrail_${region}_${name}.json.gz`;
  const expected = [
    trail('us-east-1', '01', '20240501T0005Z_aaaa'),
    trail('us-east-1', '01', '20240501T0010Z_bbbb'),
    trail('us-east-1', '02', '20240502T0000Z_cccc'),
    trail('us-west-2', '01', '20240501T0000Z_dddd'),
    org('eu-west-1', '01', '20240501T0000Z_eeee'),
    org('eu-west-1', '10', '20240510T0000Z_ffff'),
  ];
  // Created in reverse, so the order found is not the creation order.
  for (const rel of [...expected].reverse()) put(root, rel);
  const skipped = [
    `AWSLogs/${ACCT}/CloudTrail-Digest/us-east-1/2024/05/01/${ACCT}_CloudTrail-Digest_us-east-1_x.json.gz`,
    `AWSLogs/o-abc123/${ORG_ACCT}/CloudTrail-Digest/eu-west-1/2024/05/01/digest.json.gz`,
    `AWSLogs/${ACCT}/CloudTrail/us-east-1/2024/05/01/.DS_Store`,
    `AWSLogs/${ACCT}/CloudTrail/us-east-1/2024/05/01/.${ACCT}_partial.json.gz.tmp`,
    `.hidden-dir/AWSLogs/${ACCT}/CloudTrail/us-east-1/2024/05/01/x.json.gz`,
    '.git/objects/aa/bb',
    'node_modules/pkg/index.json',
  ];
  for (const rel of skipped) put(root, rel);
  return { root, expected };
}

describe('discoverInputs', () => {
  it('walks an S3-layout tree (plain and organization trails) in sorted order', async () => {
    const { root, expected } = s3Tree();
    const { inputs, errors } = await discoverInputs([root]);
    expect(errors).toEqual([]);
    expect(inputs.every((i) => i.kind === 'file')).toBe(true);
    // Byte order: the account folder (digits) sorts before `o-abc123`.
    expect(inputs.map((i) => relative(root, i.path))).toEqual(expected.map((p) => join(p)));
  });

  it('skips CloudTrail-Digest/ and hidden files and folders', async () => {
    const { root } = s3Tree();
    const { inputs } = await discoverInputs([root]);
    const paths = inputs.map((i) => i.path);
    expect(paths.some((p) => p.includes('CloudTrail-Digest'))).toBe(false);
    expect(paths.some((p) => p.split('/').some((seg) => seg.startsWith('.')))).toBe(false);
    expect(paths.some((p) => p.includes('node_modules'))).toBe(false);
  });

  it('returns the same order on every run', async () => {
    const { root } = s3Tree();
    const a = await discoverInputs([root]);
    const b = await discoverInputs([root]);
    expect(a.inputs).toEqual(b.inputs);
  });

  it('sorts names by code point, not by locale or creation time', async () => {
    const root = tempDir();
    for (const name of ['b.json', 'B.json', 'a.json', '10.json', '9.json', 'é.json', 'Z.json']) put(root, name);
    const { inputs } = await discoverInputs([root]);
    expect(inputs.map((i) => relative(root, i.path))).toEqual(['10.json', '9.json', 'B.json', 'Z.json', 'a.json', 'b.json', 'é.json']);
  });

  it('takes files as given, keeps the order of the arguments, and accepts - for stdin', async () => {
    const root = tempDir();
    const b = put(root, 'b.json');
    const a = put(root, 'a.json');
    const hidden = put(root, '.explicit.json');
    const { inputs, errors } = await discoverInputs([b, '-', a, hidden]);
    expect(errors).toEqual([]);
    expect(inputs).toEqual([
      { kind: 'file', path: b },
      { kind: 'stdin', path: '-' },
      { kind: 'file', path: a },
      // A hidden file named on the command line is read: only walking skips hidden names.
      { kind: 'file', path: hidden },
    ]);
  });

  it('reports a missing path and still finds the others', async () => {
    const { root, expected } = s3Tree();
    const missing = join(root, 'no-such-dir');
    const { inputs, errors } = await discoverInputs([missing, root, join(root, 'missing.json.gz')]);
    expect(inputs).toHaveLength(expected.length);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toBeInstanceOf(InputError);
    expect(errors[0]?.location).toBe(missing);
    expect(errors[0]?.reason).toBe('no such file or directory');
    expect(errors[0]?.message).toBe(`${missing}: no such file or directory`);
    expect(errors[1]?.location).toBe(join(root, 'missing.json.gz'));
  });

  it('walks an empty directory to nothing, without errors', async () => {
    const { inputs, errors } = await discoverInputs([tempDir()]);
    expect(inputs).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('reads a CloudTrail-Digest folder when it is named directly', async () => {
    const root = tempDir();
    const digest = join(root, 'CloudTrail-Digest');
    put(root, 'CloudTrail-Digest/d.json.gz');
    const { inputs } = await discoverInputs([digest]);
    expect(inputs.map((i) => i.path)).toEqual([join(digest, 'd.json.gz')]);
  });

  it('does not follow a symlinked directory (no cycles)', async () => {
    const root = tempDir();
    put(root, 'logs/a.json');
    symlinkSync(root, join(root, 'logs', 'loop'), 'dir');
    const { inputs, errors } = await discoverInputs([root]);
    expect(errors).toEqual([]);
    expect(inputs.map((i) => relative(root, i.path))).toEqual([join('logs', 'a.json')]);
  });

  it('reads a symlinked file inside a walked directory, or reports it (bug: walk() skips Dirent symlinks silently)', async () => {
    const root = tempDir();
    const elsewhere = put(tempDir(), 'real.json');
    mkdirSync(join(root, 'logs'));
    symlinkSync(elsewhere, join(root, 'logs', 'linked.json'));
    const { inputs, errors } = await discoverInputs([root]);
    expect(inputs.length + errors.length).toBe(1);
  });
});
