/**
 * Events and the evaluation of one compiled sub-rule against one event, with event-ruler's semantics
 * (`rulesForJSONEvent`, the array-consistent matcher EventBridge uses).
 *
 * Flattening: every leaf value of the event is recorded under its dotted path (`{"a":{"b":1}}` and `{"a.b":1}` both
 * give `a.b` = 1). Arrays contribute each element under the array's own path, however deeply nested, so a field
 * matches when any element does. Objects and empty arrays are not leaves: they have no value of their own, so
 * `exists: true` is false for them and `exists: false` true. Duplicate keys in event text keep every value.
 * Strings, numbers (with their literal text), true, false and null keep their JSON type: `"5"` is not `5`.
 *
 * Array consistency: each value remembers which element of each enclosing array of objects/arrays it came from. The
 * values chosen to satisfy the fields of one sub-rule must agree on every array they share, so `Anna` and `Jones`
 * taken from two different elements of `employees` do not satisfy one pattern together.
 *
 * Fields of a sub-rule are tried in path order (as event-ruler's state machine does); `exists: false` holds when no
 * value for the path is consistent with the values chosen for the fields before it.
 *
 * Operators on awkward values: string operators (prefix, suffix, equals-ignore-case, wildcard, cidr) match strings
 * only; numeric matches numbers only; anything-but matches any value that is not excluded, including null, booleans
 * and values of the other type, but not a missing field.
 */
import type { FieldPattern, SubRule, ValueMatcher } from './compile.js';
import { InvalidEventError } from './errors.js';
import { ipHex } from './ip.js';
import { JsonSyntaxError, JsonTokenizer } from './json-tokens.js';
import { comparableNumber } from './numbers.js';
import { equalsIgnoreCase, matchWildcard, prefixIgnoreCase, suffixIgnoreCase } from './strings.js';

export const STRING = 0;
export const NUMBER = 1;
export const TRUE = 2;
export const FALSE = 3;
export const NULL = 4;
export type ValueType = typeof STRING | typeof NUMBER | typeof TRUE | typeof FALSE | typeof NULL;

/** `[arrayId, index, arrayId, index, ...]`: the element of each enclosing array a value came from; null when none. */
export type Membership = readonly number[] | null;

export interface EventValue {
  type: ValueType;
  /** The string, or the number's literal text. */
  text: string;
  membership: Membership;
  /** Cached comparable number (null: not comparable). */
  num?: number | null;
  /** Cached IP hex form (null: not an IP address). */
  ip?: string | null;
}

/** An event flattened once, for matching against any number of rules. */
export interface FlatEvent {
  fields: Map<string, EventValue[]>;
}

class Flattener {
  readonly fields = new Map<string, EventValue[]>();
  private arrayCount = 0;
  private readonly membership = new Map<number, number>();
  private snapshot: Membership = null;
  private snapshotValid = true;

  add(path: string, type: ValueType, text: string): void {
    if (!this.snapshotValid) {
      this.snapshot = this.membership.size === 0 ? null : [...this.membership].flat();
      this.snapshotValid = true;
    }
    const v: EventValue = { type, text, membership: this.snapshot };
    const list = this.fields.get(path);
    if (list) list.push(v);
    else this.fields.set(path, [v]);
  }

  enter(id: number, index: number): void {
    this.membership.set(id, index);
    this.snapshotValid = false;
  }

  leave(id: number): void {
    this.membership.delete(id);
    this.snapshotValid = false;
  }

  newArray(): number {
    return this.arrayCount++;
  }

  // --- from JSON text ---

  textObject(p: JsonTokenizer, prefix: string): void {
    while (p.next() !== 'END_OBJECT') {
      const path = prefix === '' ? p.text : `${prefix}.${p.text}`;
      this.textValue(p, p.next(), path);
    }
  }

  private textValue(p: JsonTokenizer, t: ReturnType<JsonTokenizer['next']>, path: string): void {
    switch (t) {
      case 'START_OBJECT':
        this.textObject(p, path);
        break;
      case 'START_ARRAY':
        this.textArray(p, path);
        break;
      case 'VALUE_STRING':
        this.add(path, STRING, p.text);
        break;
      case 'VALUE_NUMBER':
        this.add(path, NUMBER, p.text);
        break;
      case 'VALUE_TRUE':
        this.add(path, TRUE, 'true');
        break;
      case 'VALUE_FALSE':
        this.add(path, FALSE, 'false');
        break;
      case 'VALUE_NULL':
        this.add(path, NULL, 'null');
        break;
      default:
        throw new JsonSyntaxError('Unexpected end-of-input');
    }
  }

  private textArray(p: JsonTokenizer, path: string): void {
    const id = this.newArray();
    let index = 0;
    for (let t = p.next(); t !== 'END_ARRAY'; t = p.next()) {
      if (t === 'START_OBJECT' || t === 'START_ARRAY') {
        this.enter(id, index);
        this.textValue(p, t, path);
        this.leave(id);
      } else {
        this.textValue(p, t, path);
      }
      index++;
    }
  }

  // --- from a parsed value ---

  objectValue(obj: object, prefix: string): void {
    for (const key of Object.keys(obj)) {
      const path = prefix === '' ? key : `${prefix}.${key}`;
      this.anyValue((obj as Record<string, unknown>)[key], path);
    }
  }

  private anyValue(v: unknown, path: string): void {
    if (v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function') {
      v = (v as { toJSON(): unknown }).toJSON();
    }
    switch (typeof v) {
      case 'string':
        this.add(path, STRING, v);
        return;
      case 'number':
        if (Number.isFinite(v)) this.add(path, NUMBER, JSON.stringify(v));
        else this.add(path, NULL, 'null');
        return;
      case 'boolean':
        this.add(path, v ? TRUE : FALSE, v ? 'true' : 'false');
        return;
      case 'object':
        if (v === null) this.add(path, NULL, 'null');
        else if (Array.isArray(v)) this.arrayValue(v, path);
        else this.objectValue(v, path);
        return;
      default:
        return; // undefined, functions, symbols: absent, as JSON.stringify would leave them out
    }
  }

  private arrayValue(arr: unknown[], path: string): void {
    const id = this.newArray();
    arr.forEach((el, index) => {
      if (el !== null && typeof el === 'object') {
        this.enter(id, index);
        this.anyValue(el, path);
        this.leave(id);
      } else {
        this.anyValue(el === undefined ? null : el, path);
      }
    });
  }
}

/** Flattens an event given as JSON text (parsed once, numbers keep their literal text) or as a parsed object. */
export function flattenEvent(event: unknown): FlatEvent {
  const f = new Flattener();
  if (typeof event === 'string') {
    const p = new JsonTokenizer(event);
    try {
      if (p.next() !== 'START_OBJECT') throw new InvalidEventError('Event must be a JSON object');
      f.textObject(p, '');
    } catch (e) {
      if (e instanceof JsonSyntaxError) throw new InvalidEventError(`Event is not valid JSON: ${e.message}`, { cause: e });
      throw e;
    }
  } else {
    if (event === null || typeof event !== 'object' || Array.isArray(event)) throw new InvalidEventError('Event must be a JSON object');
    f.objectValue(event, '');
  }
  return { fields: f.fields };
}

function numOf(v: EventValue): number | null {
  if (v.num === undefined) v.num = comparableNumber(v.text) ?? null;
  return v.num;
}

function ipOf(v: EventValue): string | null {
  if (v.ip === undefined) v.ip = ipHex(v.text) ?? null;
  return v.ip;
}

/** True when one event value satisfies one matcher. */
export function matchValue(m: ValueMatcher, v: EventValue): boolean {
  const isString = v.type === STRING;
  switch (m.kind) {
    case 'string':
      return isString && v.text === m.value;
    case 'ip':
      return isString && ipOf(v) === m.hex;
    case 'literal':
      return v.type === NUMBER && v.text === m.text;
    case 'number':
      return v.type === NUMBER && numOf(v) === m.value;
    case 'true':
      return v.type === TRUE;
    case 'false':
      return v.type === FALSE;
    case 'null':
      return v.type === NULL;
    case 'prefix':
      return isString && v.text.startsWith(m.value);
    case 'suffix':
      return isString && v.text.endsWith(m.value);
    case 'prefix-ic':
      return isString && prefixIgnoreCase(m.alts, v.text);
    case 'suffix-ic':
      return isString && suffixIgnoreCase(m.alts, v.text);
    case 'equals-ic':
      return isString && equalsIgnoreCase(m.alts, v.text);
    case 'wildcard':
      return isString && matchWildcard(m.segments, v.text);
    case 'anything-but-strings':
      return !(isString && m.values.has(v.text));
    case 'anything-but-numbers': {
      if (v.type !== NUMBER) return true;
      const n = numOf(v);
      return n === null || !m.values.has(n);
    }
    case 'anything-but-prefix':
      return !(isString && m.values.some((p) => v.text.startsWith(p)));
    case 'anything-but-suffix':
      return !(isString && m.values.some((s) => v.text.endsWith(s)));
    case 'anything-but-ic':
      return !(isString && m.values.some((alts) => equalsIgnoreCase(alts, v.text)));
    case 'anything-but-wildcard':
      return !(isString && m.values.some((w) => matchWildcard(w, v.text)));
    case 'range': {
      if (v.type !== NUMBER) return false;
      const n = numOf(v);
      if (n === null) return false;
      return (m.loOpen ? n > m.lo : n >= m.lo) && (m.hiOpen ? n < m.hi : n <= m.hi);
    }
    case 'cidr': {
      if (!isString) return false;
      const hex = ipOf(v);
      return hex !== null && hex.length === m.lo.length && hex >= m.lo && hex <= m.hi;
    }
    case 'exists':
      return true;
  }
}

function matchesAny(f: FieldPattern, v: EventValue): boolean {
  for (const m of f.matchers) if (matchValue(m, v)) return true;
  return false;
}

/** Merges two memberships; undefined when they disagree on an array they share. */
function merge(a: Membership, b: Membership): Membership | undefined {
  if (b === null || a === b) return a;
  if (a === null) return b;
  let extra: number[] | undefined;
  for (let i = 0; i < b.length; i += 2) {
    const id = b[i]!;
    let found = false;
    for (let j = 0; j < a.length; j += 2) {
      if (a[j] === id) {
        if (a[j + 1] !== b[i + 1]) return undefined;
        found = true;
        break;
      }
    }
    if (!found) {
      extra ??= [];
      extra.push(id, b[i + 1]!);
    }
  }
  return extra ? [...a, ...extra] : a;
}

/** True when the event satisfies every field of the sub-rule with array-consistent values. */
export function matchSubRule(sub: SubRule, ev: FlatEvent): boolean {
  const fields = sub.fields;
  if (fields.length === 1) {
    // One field, nothing to be consistent with: any value matching it will do (or, for exists: false, none at all).
    const f = fields[0]!;
    const values = ev.fields.get(f.path);
    if (values === undefined) return f.absent;
    if (f.absent && values.length === 0) return true;
    if (f.matchers.length === 0) return false;
    for (let k = 0; k < values.length; k++) if (matchesAny(f, values[k]!)) return true;
    return false;
  }
  return step(fields, ev, 0, null);
}

function step(fields: readonly FieldPattern[], ev: FlatEvent, i: number, mem: Membership): boolean {
  if (i === fields.length) return true;
  const f = fields[i]!;
  const values = ev.fields.get(f.path);
  if (f.absent) {
    let present = false;
    if (values) {
      for (const v of values) {
        if (merge(mem, v.membership) !== undefined) {
          present = true;
          break;
        }
      }
    }
    if (!present && step(fields, ev, i + 1, mem)) return true;
  }
  if (!values || f.matchers.length === 0) return false;
  let failedWithSameMembership = false;
  for (const v of values) {
    const merged = merge(mem, v.membership);
    if (merged === undefined) continue;
    if (merged === mem && failedWithSameMembership) continue;
    if (!matchesAny(f, v)) continue;
    if (step(fields, ev, i + 1, merged)) return true;
    if (merged === mem) failedWithSameMembership = true;
  }
  return false;
}
