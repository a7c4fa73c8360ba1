import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../core/errors.js';

/** Folders in CloudTrail's S3 layout that hold no event records and are skipped when walking a tree. */
const SKIPPED_DIRS = new Set(['CloudTrail-Digest', 'node_modules', '.git']);

export type InputRef = { kind: 'file'; path: string } | { kind: 'stdin'; path: '-' };

/**
 * Expands the command-line paths into the files to read: files as given, directories walked
 * recursively (sorted, so runs are reproducible; hidden files and `CloudTrail-Digest/` skipped), `-` for stdin.
 * This covers the S3 layout `AWSLogs/<account>[/<org-id>]/CloudTrail/<region>/YYYY/MM/DD/*.json.gz` as
 * synced to disk. A path that does not exist is reported, and the others are still read.
 */
export async function discoverInputs(paths: string[]): Promise<{ inputs: InputRef[]; errors: InputError[] }> {
  const inputs: InputRef[] = [];
  const errors: InputError[] = [];
  for (const p of paths) {
    if (p === '-') {
      inputs.push({ kind: 'stdin', path: '-' });
      continue;
    }
    try {
      const s = await stat(p);
      if (s.isDirectory()) await walk(p, inputs);
      else inputs.push({ kind: 'file', path: p });
    } catch (err) {
      errors.push(new InputError(p, (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : String(err), { cause: err }));
    }
  }
  return { inputs, errors };
}

async function walk(dir: string, out: InputRef[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const full = join(dir, e.name);
    if (e.isDirectory()) {
      if (!SKIPPED_DIRS.has(e.name)) await walk(full, out);
    } else if (e.isFile()) {
      out.push({ kind: 'file', path: full });
    }
  }
}
