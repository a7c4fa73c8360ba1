import { TrailhoundError } from '../core/errors.js';

/**
 * EventBridge target input: `Input` (constant JSON), `InputPath` (one JSONPath) and `InputTransformer`
 * (`InputPathsMap` + `InputTemplate`), as AWS delivers them (shared/reference/eventbridge.md §1.7, checked against
 * the AWS-recorded cases in shared/conformance/eventbridge/input-transformer-cases.jsonl).
 *
 * Two kinds of template:
 *  - a **JSON template** (its text starts with `{` or `[`, or it is JSON apart from its placeholders, e.g. a lone
 *    `<aws.events.event.json>`): a placeholder outside a JSON string becomes a JSON value (strings quoted, objects
 *    and arrays as JSON, a missing path `""`); inside a JSON string, a string, number or boolean is inserted as the
 *    string's content (JSON-escaped, so the output stays valid JSON), while an object or array there makes the output
 *    invalid: AWS then silently delivers nothing, and so do we (`InvalidInputTransformerError` with phase `output`).
 *  - a **string template** (anything else, typically `"a sentence with <var>"`): values are inserted as they are,
 *    the template's own quotes stay; objects and arrays are flattened with their quotes removed (`{a:b}`, `[X,Y]`),
 *    a missing path inserts nothing.
 */

/** AWS PutTargets limits (API reference; eventbridge.md §1.9). */
export const TRANSFORMER_LIMITS = {
  maxInputPaths: 100,
  maxInputPathKeyLength: 256,
  maxTemplateLength: 8192,
  maxInputPathJsonPathLength: 256,
  maxInputLength: 8192,
} as const;

export const PREDEFINED_VARIABLES = [
  'aws.events.rule-arn',
  'aws.events.rule-name',
  'aws.events.event.ingestion-time',
  'aws.events.event',
  'aws.events.event.json',
] as const;
type Predefined = (typeof PREDEFINED_VARIABLES)[number];
const PREDEFINED = new Set<string>(PREDEFINED_VARIABLES);
/** Predefined variables whose content is not escaped: AWS allows them only as a JSON value. */
const JSON_ONLY = new Set<string>(['aws.events.event', 'aws.events.event.json']);

export interface TransformerContext {
  ruleName: string;
  ruleArn: string;
  /** When the event was received: ms since the epoch (written as second-precision ISO-8601 UTC) or a ready string. */
  ingestionTime: number | string;
}

export interface InputTransformer {
  inputPathsMap?: Record<string, string>;
  inputTemplate: string;
}

export interface TargetInputSpec {
  id?: string;
  input?: string;
  inputPath?: string;
  inputTransformer?: InputTransformer;
}

/**
 * An input transformer, input path or input that cannot be used. `phase: 'config'` when the definition itself is
 * wrong (reject the target, as PutTargets does); `phase: 'output'` when one event produced invalid JSON from a JSON
 * template (AWS silently drops that delivery; the caller should drop and log it, not retry).
 */
export class InvalidInputTransformerError extends TrailhoundError {
  readonly phase: 'config' | 'output';

  constructor(message: string, phase: 'config' | 'output' = 'config', options?: { cause?: unknown }) {
    super('E_TRANSFORMER', message, options);
    this.phase = phase;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// JSONPath (dot notation with array indices)

type PathStep = string | number;

const pathCache = new Map<string, PathStep[]>();

/** Parses `$`, `$.a.b`, `$.a[0].b`, `$.detail-type`. Bracket notation for names, wildcards and `..` are rejected. */
export function parseJsonPath(path: string, where = 'JSONPath'): PathStep[] {
  const cached = pathCache.get(path);
  if (cached) return cached;
  const fail = (why: string) => new InvalidInputTransformerError(`${where} ${JSON.stringify(path)} is not valid: ${why}`);
  if (typeof path !== 'string' || path.length === 0) throw fail('it is empty');
  if (path.length > TRANSFORMER_LIMITS.maxInputPathJsonPathLength) throw fail(`longer than ${TRANSFORMER_LIMITS.maxInputPathJsonPathLength} characters`);
  if (path[0] !== '$') throw fail('it must start with "$"');
  const steps: PathStep[] = [];
  let i = 1;
  while (i < path.length) {
    const c = path[i];
    if (c === '.') {
      if (path[i + 1] === '.') throw fail('recursive descent ("..") is not supported');
      let j = i + 1;
      while (j < path.length && path[j] !== '.' && path[j] !== '[') j++;
      const name = path.slice(i + 1, j);
      if (name === '') throw fail(`empty name at character ${i + 1}`);
      if (name === '*') throw fail('wildcards are not supported');
      if (/[\]\s'"]/.test(name)) throw fail(`unexpected character in name ${JSON.stringify(name)}`);
      steps.push(name);
      i = j;
    } else if (c === '[') {
      const close = path.indexOf(']', i);
      if (close < 0) throw fail(`unclosed "[" at character ${i + 1}`);
      const inner = path.slice(i + 1, close);
      if (!/^\d+$/.test(inner)) throw fail(`only array indices may be written in brackets (use dot notation for names), found [${inner}]`);
      steps.push(Number(inner));
      i = close + 1;
    } else {
      throw fail(`unexpected ${JSON.stringify(c)} at character ${i + 1}`);
    }
  }
  if (pathCache.size > 1000) pathCache.clear();
  pathCache.set(path, steps);
  return steps;
}

const own = Object.prototype.hasOwnProperty;

/** The value at `steps`, or `undefined` when any step is missing. */
function resolve(event: unknown, steps: PathStep[]): unknown {
  let v: unknown = event;
  for (const s of steps) {
    if (typeof s === 'number') {
      if (!Array.isArray(v) || s >= v.length) return undefined;
      v = v[s];
    } else {
      if (v === null || typeof v !== 'object' || Array.isArray(v) || !own.call(v, s)) return undefined;
      v = (v as Record<string, unknown>)[s];
    }
  }
  return v;
}

/**
 * `InputPath`: the part of the event at `path`, as JSON (a string value is delivered as a JSON string, with its
 * quotes: `"baz"`). A path that matches nothing delivers `null`.
 */
export function applyInputPath(event: unknown, path: string): string {
  const v = resolve(event, parseJsonPath(path, 'InputPath'));
  return JSON.stringify(v === undefined ? null : v);
}

// ---------------------------------------------------------------------------------------------------------------
// Templates

const PLACEHOLDER = /<([A-Za-z0-9_.-]+)>/y;
const KEY_PATTERN = /^[A-Za-z0-9_-]+$/;

type Segment = { kind: 'text'; text: string } | { kind: 'var'; name: string; inString: boolean };

/** Splits a template into literal text and placeholders, noting whether each placeholder sits inside a JSON string. */
function scan(template: string): Segment[] {
  const out: Segment[] = [];
  let text = '';
  let inString = false;
  for (let i = 0; i < template.length; ) {
    const c = template[i] as string;
    if (c === '<') {
      PLACEHOLDER.lastIndex = i;
      const m = PLACEHOLDER.exec(template);
      if (m) {
        if (text) out.push({ kind: 'text', text });
        text = '';
        out.push({ kind: 'var', name: m[1] as string, inString });
        i += m[0].length;
        continue;
      }
    }
    if (inString && c === '\\') {
      text += template.slice(i, i + 2);
      i += 2;
      continue;
    }
    if (c === '"') inString = !inString;
    text += c;
    i++;
  }
  if (text) out.push({ kind: 'text', text });
  return out;
}

const MARK = '\u{e000}TRAILHOUND-PLACEHOLDER\u{e000}';

/** The template with placeholders outside strings as `null` and inside strings as a marker: is it JSON? */
function probeJson(segments: Segment[]): { ok: true; value: unknown } | { ok: false; error: string } {
  const text = segments.map((s) => (s.kind === 'text' ? s.text : s.inString ? MARK : 'null')).join('');
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
}

function keyHasMarker(v: unknown): boolean {
  if (Array.isArray(v)) return v.some(keyHasMarker);
  if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) if (k.includes(MARK) || keyHasMarker(x)) return true;
  }
  return false;
}

export interface CompiledInputTransformer {
  readonly json: boolean;
  readonly variables: ReadonlySet<string>;
  apply(event: unknown, ctx?: TransformerContext): string;
}

/**
 * Validates an input transformer as PutTargets would (and a little more: JSONPaths and the JSON shape of a JSON
 * template are checked up front) and compiles it. Errors name the target.
 */
export function compileInputTransformer(t: InputTransformer, targetId = '<target-id>'): CompiledInputTransformer {
  const bad = (msg: string) => new InvalidInputTransformerError(msg);
  if (t === null || typeof t !== 'object') throw bad(`InputTransformer for target ${targetId} must be an object`);
  const template = t.inputTemplate;
  if (typeof template !== 'string' || template.length === 0) throw bad(`InputTemplate for target ${targetId} must be a non-empty string`);
  if (template.length > TRANSFORMER_LIMITS.maxTemplateLength)
    throw bad(`InputTemplate for target ${targetId} is ${template.length} characters; at most ${TRANSFORMER_LIMITS.maxTemplateLength} are allowed`);
  const map = t.inputPathsMap ?? {};
  if (map === null || typeof map !== 'object' || Array.isArray(map)) throw bad(`InputPathsMap for target ${targetId} must be an object`);
  const entries = Object.entries(map);
  if (entries.length > TRANSFORMER_LIMITS.maxInputPaths)
    throw bad(`InputPathsMap for target ${targetId} has ${entries.length} entries; at most ${TRANSFORMER_LIMITS.maxInputPaths} are allowed`);
  const paths = new Map<string, PathStep[]>();
  for (const [key, path] of entries) {
    if (/^aws\./i.test(key))
      throw bad(`InputPathsMap for target ${targetId}: key ${JSON.stringify(key)} must not start with "AWS." (predefined variables cannot be redefined)`);
    if (!KEY_PATTERN.test(key) || key.length > TRANSFORMER_LIMITS.maxInputPathKeyLength)
      throw bad(`InputPathsMap for target ${targetId}: key ${JSON.stringify(key)} must be 1-256 characters of A-Z, a-z, 0-9, "_" and "-"`);
    if (typeof path !== 'string') throw bad(`InputPathsMap for target ${targetId}: the path of ${JSON.stringify(key)} must be a string`);
    paths.set(key, parseJsonPath(path, `InputPathsMap for target ${targetId}: the path of ${JSON.stringify(key)},`));
  }

  const segments = scan(template);
  for (const s of segments) {
    if (s.kind === 'var' && !paths.has(s.name) && !PREDEFINED.has(s.name))
      throw bad(`InputTemplate for target ${targetId} contains invalid placeholder ${s.name}.`);
  }

  const trimmed = template.trimStart();
  const probe = probeJson(segments);
  const json = trimmed.startsWith('{') || trimmed.startsWith('[') || (probe.ok && typeof probe.value !== 'string');
  if (json) {
    if (!probe.ok) throw bad(`InputTemplate for target ${targetId} starts like JSON but is not valid JSON (placeholders aside): ${probe.error}`);
    if (keyHasMarker(probe.value)) throw bad(`InputTemplate for target ${targetId}: a placeholder cannot be used as an object key`);
  }
  for (const s of segments) {
    if (s.kind === 'var' && JSON_ONLY.has(s.name) && (!json || s.inString))
      throw bad(`InputTemplate for target ${targetId}: <${s.name}> may only be used as a JSON value (its content is not escaped)`);
  }

  const variables = new Set(segments.flatMap((s) => (s.kind === 'var' ? [s.name] : [])));
  return {
    json,
    variables,
    apply(event: unknown, ctx?: TransformerContext): string {
      const values = new Map<string, unknown>();
      const lookup = (name: string): unknown => {
        if (values.has(name)) return values.get(name);
        const steps = paths.get(name);
        const v = steps ? resolve(event, steps) : predefined(name as Predefined, event, ctx);
        values.set(name, v);
        return v;
      };
      let out = '';
      for (const s of segments) {
        if (s.kind === 'text') {
          out += s.text;
          continue;
        }
        const v = lookup(s.name);
        out += json ? jsonInsert(v, s.inString, s.name, targetId) : textInsert(v);
      }
      if (json) {
        try {
          JSON.parse(out);
        } catch (e) {
          throw new InvalidInputTransformerError(
            `InputTemplate for target ${targetId} produced invalid JSON for this event; AWS delivers nothing then`,
            'output',
            {
              cause: e,
            },
          );
        }
      }
      return out;
    },
  };
}

function jsonInsert(v: unknown, inString: boolean, name: string, targetId: string): string {
  if (!inString) return v === undefined ? '""' : JSON.stringify(v);
  if (v === undefined) return '';
  if (v !== null && typeof v === 'object')
    throw new InvalidInputTransformerError(
      `InputTemplate for target ${targetId}: <${name}> is an ${Array.isArray(v) ? 'array' : 'object'} inside a JSON string, which makes invalid JSON; AWS delivers nothing then`,
      'output',
    );
  const s = typeof v === 'string' ? v : String(v);
  return JSON.stringify(s).slice(1, -1);
}

function textInsert(v: unknown): string {
  if (v === undefined) return '';
  if (typeof v === 'string') return v;
  if (v !== null && typeof v === 'object') return JSON.stringify(v).replaceAll('\\"', '"').replaceAll('"', '');
  return String(v);
}

function envelopeField(event: unknown, key: string): unknown {
  return event !== null && typeof event === 'object' ? (event as Record<string, unknown>)[key] : undefined;
}

function ingestionTimeOf(event: unknown, ctx: TransformerContext | undefined): string {
  const t = ctx?.ingestionTime;
  if (typeof t === 'string') return t;
  if (typeof t === 'number') return new Date(Math.floor(t / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  const time = envelopeField(event, 'time');
  return typeof time === 'string' ? time : '';
}

function predefined(name: Predefined, event: unknown, ctx: TransformerContext | undefined): unknown {
  switch (name) {
    case 'aws.events.rule-arn':
      return ctx?.ruleArn ?? '';
    case 'aws.events.rule-name':
      return ctx?.ruleName ?? '';
    case 'aws.events.event.ingestion-time':
      return ingestionTimeOf(event, ctx);
    case 'aws.events.event.json':
      return event;
    case 'aws.events.event': {
      // The envelope without `detail`, as AWS writes it: camelCase `detailType`, `time` = ingestion time.
      const out: Record<string, unknown> = {};
      const copy = (to: string, from: string) => {
        const v = envelopeField(event, from);
        if (v !== undefined) out[to] = v;
      };
      copy('id', 'id');
      copy('account', 'account');
      copy('detailType', 'detail-type');
      out.time = ingestionTimeOf(event, ctx);
      copy('source', 'source');
      copy('region', 'region');
      copy('resources', 'resources');
      copy('version', 'version');
      return out;
    }
  }
}

/** Applies an input transformer to one event. Throws `InvalidInputTransformerError` (see its `phase`). */
export function applyInputTransformer(event: unknown, t: InputTransformer, ctx?: TransformerContext, targetId?: string): string {
  return compileInputTransformer(t, targetId).apply(event, ctx);
}

/** Checks a target's input settings as PutTargets does: at most one of the three, each valid. */
export function validateTargetInput(target: TargetInputSpec, targetId = target.id ?? '<target-id>'): void {
  const set = [target.input, target.inputPath, target.inputTransformer].filter((x) => x !== undefined).length;
  if (set > 1) throw new InvalidInputTransformerError(`Only one of Input, InputPath, or InputTransformer must be provided for target ${targetId}.`);
  if (target.input !== undefined) {
    if (typeof target.input !== 'string' || target.input.length > TRANSFORMER_LIMITS.maxInputLength)
      throw new InvalidInputTransformerError(`Input for target ${targetId} must be a string of at most ${TRANSFORMER_LIMITS.maxInputLength} characters`);
    try {
      JSON.parse(target.input);
    } catch (e) {
      throw new InvalidInputTransformerError(`Input for target ${targetId} must be valid JSON text`, 'config', { cause: e });
    }
  }
  if (target.inputPath !== undefined) parseJsonPath(target.inputPath, `InputPath for target ${targetId}:`);
  if (target.inputTransformer !== undefined) compileInputTransformer(target.inputTransformer, targetId);
}

/**
 * What a target receives for one event: its `input` (custom), the part at its `inputPath` (custom), its transformer's
 * output (custom), or — when none is set — the whole event as JSON (`custom: false`).
 */
export function renderTargetInput(target: TargetInputSpec, event: unknown, ctx?: TransformerContext): { text: string; custom: boolean } {
  const targetId = target.id ?? '<target-id>';
  const set = [target.input, target.inputPath, target.inputTransformer].filter((x) => x !== undefined).length;
  if (set > 1) throw new InvalidInputTransformerError(`Only one of Input, InputPath, or InputTransformer must be provided for target ${targetId}.`);
  if (target.input !== undefined) {
    validateTargetInput({ input: target.input }, targetId);
    return { text: target.input, custom: true };
  }
  if (target.inputPath !== undefined) return { text: applyInputPath(event, target.inputPath), custom: true };
  if (target.inputTransformer !== undefined) return { text: applyInputTransformer(event, target.inputTransformer, ctx, targetId), custom: true };
  return { text: JSON.stringify(event), custom: false };
}
