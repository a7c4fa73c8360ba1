import { readdir, realpath, stat } from 'node:fs/promises';
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
      if (s.isDirectory()) await walk(p, inputs, errors);
      else inputs.push({ kind: 'file', path: p });
    } catch (err) {
      errors.push(new InputError(p, (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : String(err), { cause: err }));
    }
  }
  return { inputs, errors };
}

/**
 * Walks `dir`. Symbolic links are followed (a synced bucket may link to files elsewhere); a broken link is
 * reported, and a link back into a folder already being walked is not followed (its files are read once).
 */
async function walk(dir: string, out: InputRef[], errors: InputError[], visiting = new Set<string>()): Promise<void> {
  const real = await realpath(dir);
  // A link back into a folder already being walked: everything in it is read anyway, so it is not followed.
  if (visiting.has(real)) return;
  visiting.add(real);
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const full = join(dir, e.name);
    let isDir = e.isDirectory();
    let isFile = e.isFile();
    if (e.isSymbolicLink()) {
      try {
        const target = await stat(full);
        isDir = target.isDirectory();
        isFile = target.isFile();
      } catch (err) {
        errors.push(new InputError(full, `broken symbolic link (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { cause: err }));
        continue;
      }
    }
    if (isDir) {
      if (!SKIPPED_DIRS.has(e.name)) await walk(full, out, errors, visiting);
    } else if (isFile) {
      out.push({ kind: 'file', path: full });
    }
  }
  visiting.delete(real);
}
