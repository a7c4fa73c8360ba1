/**
 * RuleMatcher: many named patterns, one event at a time, with a per-event cost that does not grow with the number of
 * rules that cannot match.
 *
 * Design. Each rule compiles into sub-rules (one per `$or` combination); each sub-rule is filed under one "anchor":
 * 1. an exact-value field if it has one (all alternatives are exact strings, IP literals, numbers, booleans or null),
 *    choosing the most selective one: the field whose (path, value) lists are shortest when the rule is added (a
 *    value many rules share, such as `detail-type: GuardDuty Finding`, is avoided when a rarer one exists). The
 *    sub-rule is filed under (path, value) for each alternative in a hash table, so only events carrying one of
 *    those values at that path ever look at it;
 * 2. otherwise a field the sub-rule requires to be present (any operator but `exists: false`): filed under the path,
 *    so only events that have a value at that path look at it;
 * 3. otherwise (a sub-rule made only of `exists: false` fields) it is always evaluated.
 * For an event, the matcher flattens it once, and only along the field paths its rules use (select.ts: JSON text is
 * scanned once, values under keys no rule can reach are checked and stepped over without being decoded, numbers keep
 * their literal text), walks the flattened paths and values, gathers the sub-rules filed under them (hash probes: cost
 * proportional to the event's size, not to the number of rules), and fully evaluates only those candidates
 * (evaluate.ts). Numbers are filed by
 * value and by literal text, so `300` finds rules written `3.0e2`; IP literals by their address, so `::0` finds `0::0`.
 * This is the useful core of event-ruler's state machine (rules share a hash transition on a field's exact value)
 * without compiling every operator into one automaton; rules made only of prefix/numeric/wildcard operators cost one
 * evaluation per event that has the field.
 *
 * Adding a rule under an existing name replaces it (as PutRule does); `remove` deletes it.
 */
import { type CompiledPattern, type CompileOptions, compilePattern, compilePatternObject, type SubRule, type ValueMatcher } from './compile.js';
import { type EventValue, FALSE, type FlatEvent, flattenEvent, matchSubRule, NULL, NUMBER, STRING, TRUE } from './evaluate.js';
import { ipHex } from './ip.js';
import { comparableNumber } from './numbers.js';
import { buildPathGraph, type PathNode, scanText, walkObject } from './select.js';

interface Rule {
  name: string;
  seq: number;
  entries: Entry[];
  /** Last event epoch at which this rule matched (dedupes rule names across sub-rules). */
  matchedAt: number;
}

interface Entry {
  rule: Rule;
  sub: SubRule;
  /** Last event epoch at which this entry was gathered as a candidate. */
  seenAt: number;
  unfile: () => void;
}

type Bucket = Map<string | number, Set<Entry>>;

/** Exact-value sub-rules filed under one path, by the kind of value they match (no key strings built per event). */
interface ValueIndex {
  /** Strings, by text. */
  s: Bucket;
  /** IP addresses, by hex form (events' string values then need their address form). */
  i: Bucket;
  /** Number literals, by text. */
  l: Bucket;
  /** Comparable numbers, by value. */
  n: Bucket;
  /** true (`t`), false (`f`), null (`z`). */
  c: Bucket;
}

type BucketName = 's' | 'i' | 'l' | 'n' | 'c';

interface ExactKey {
  bucket: BucketName;
  key: string | number;
}

function exactKey(m: ValueMatcher): ExactKey | undefined {
  switch (m.kind) {
    case 'string':
      return { bucket: 's', key: m.value };
    case 'ip':
      return { bucket: 'i', key: m.hex };
    case 'literal':
      return { bucket: 'l', key: m.text };
    case 'number':
      return { bucket: 'n', key: m.value };
    case 'true':
      return { bucket: 'c', key: 't' };
    case 'false':
      return { bucket: 'c', key: 'f' };
    case 'null':
      return { bucket: 'c', key: 'z' };
    default:
      return undefined;
  }
}

function gather(set: Set<Entry> | undefined, epoch: number, out: Entry[]): void {
  if (set === undefined) return;
  for (const e of set) {
    if (e.seenAt !== epoch) {
      e.seenAt = epoch;
      out.push(e);
    }
  }
}

/** Gathers the sub-rules filed under the keys an event value can be found by. */
function gatherValue(vi: ValueIndex, v: EventValue, epoch: number, out: Entry[]): void {
  switch (v.type) {
    case STRING:
      gather(vi.s.get(v.text), epoch, out);
      if (vi.i.size > 0) {
        if (v.ip === undefined) v.ip = ipHex(v.text) ?? null;
        if (v.ip !== null) gather(vi.i.get(v.ip), epoch, out);
      }
      return;
    case NUMBER:
      if (vi.l.size > 0) gather(vi.l.get(v.text), epoch, out);
      if (vi.n.size > 0) {
        if (v.num === undefined) v.num = comparableNumber(v.text) ?? null;
        if (v.num !== null) gather(vi.n.get(v.num), epoch, out);
      }
      return;
    case TRUE:
      gather(vi.c.get('t'), epoch, out);
      return;
    case FALSE:
      gather(vi.c.get('f'), epoch, out);
      return;
    case NULL:
      gather(vi.c.get('z'), epoch, out);
      return;
  }
}

export type PatternInput = string | object | CompiledPattern;

function isCompiled(p: unknown): p is CompiledPattern {
  return typeof p === 'object' && p !== null && Array.isArray((p as CompiledPattern).subRules);
}

export function toCompiled(pattern: PatternInput, options?: CompileOptions): CompiledPattern {
  if (typeof pattern === 'string') return compilePattern(pattern, options);
  if (isCompiled(pattern)) return pattern;
  return compilePatternObject(pattern, options);
}

export class RuleMatcher {
  private readonly rules = new Map<string, Rule>();
  private readonly valueIndex = new Map<string, ValueIndex>();
  private readonly presenceIndex = new Map<string, Set<Entry>>();
  private readonly always = new Set<Entry>();
  private seq = 0;
  private epoch = 0;
  /** Reused per event. */
  private readonly candidates: Entry[] = [];
  /** The used paths, for selective flattening; undefined after rules change. */
  private graph: PathNode | undefined;

  constructor(private readonly options: CompileOptions = {}) {}

  get size(): number {
    return this.rules.size;
  }

  has(name: string): boolean {
    return this.rules.has(name);
  }

  /** Adds (or replaces) a rule. Throws InvalidEventPatternError, with AWS's message, for an invalid pattern. */
  add(name: string, pattern: PatternInput): void {
    const compiled = toCompiled(pattern, this.options);
    this.remove(name);
    const rule: Rule = { name, seq: this.seq++, entries: [], matchedAt: -1 };
    for (const sub of compiled.subRules) rule.entries.push(this.file(rule, sub));
    this.rules.set(name, rule);
    this.graph = undefined;
  }

  /** Removes a rule; returns whether it existed. */
  remove(name: string): boolean {
    const rule = this.rules.get(name);
    if (!rule) return false;
    for (const e of rule.entries) e.unfile();
    this.rules.delete(name);
    this.graph = undefined;
    return true;
  }

  private file(rule: Rule, sub: SubRule): Entry {
    const entry: Entry = { rule, sub, seenAt: -1, unfile: () => {} };
    // 1. The most selective exact-value field: the one whose (path, value) lists are the shortest right now, so a
    //    value shared by many rules (`detail-type: GuardDuty Finding`) is not where they all pile up.
    let best: { path: string; keys: ExactKey[]; load: number } | undefined;
    for (const f of sub.fields) {
      if (f.absent || f.matchers.length === 0) continue;
      const keys = new Map<string, ExactKey>();
      let exact = true;
      for (const m of f.matchers) {
        const k = exactKey(m);
        if (k === undefined) {
          exact = false;
          break;
        }
        keys.set(`${k.bucket}${k.key}`, k);
      }
      if (!exact) continue;
      const vi = this.valueIndex.get(f.path);
      let load = keys.size;
      for (const k of keys.values()) load += vi?.[k.bucket].get(k.key)?.size ?? 0;
      if (!best || load < best.load) best = { path: f.path, keys: [...keys.values()], load };
    }
    if (best) {
      const { path, keys } = best;
      let vi = this.valueIndex.get(path);
      if (!vi) {
        vi = { s: new Map(), i: new Map(), l: new Map(), n: new Map(), c: new Map() };
        this.valueIndex.set(path, vi);
      }
      for (const k of keys) {
        const bucket = vi[k.bucket];
        let set = bucket.get(k.key);
        if (!set) {
          set = new Set();
          bucket.set(k.key, set);
        }
        set.add(entry);
      }
      const index = vi;
      entry.unfile = () => {
        for (const k of keys) {
          const bucket = index[k.bucket];
          const set = bucket.get(k.key);
          set?.delete(entry);
          if (set?.size === 0) bucket.delete(k.key);
        }
        if (index.s.size + index.i.size + index.l.size + index.n.size + index.c.size === 0) this.valueIndex.delete(path);
      };
      return entry;
    }
    // 2. A field that must be present.
    const required = sub.fields.find((f) => !f.absent && f.matchers.length > 0);
    if (required) {
      const path = required.path;
      let set = this.presenceIndex.get(path);
      if (!set) {
        set = new Set();
        this.presenceIndex.set(path, set);
      }
      set.add(entry);
      const s = set;
      entry.unfile = () => {
        s.delete(entry);
        if (s.size === 0) this.presenceIndex.delete(path);
      };
      return entry;
    }
    // 3. Only `exists: false` fields.
    this.always.add(entry);
    entry.unfile = () => this.always.delete(entry);
    return entry;
  }

  /** Names of the rules the event matches, in the order the rules were added. Accepts JSON text or a parsed object. */
  match(event: unknown): string[] {
    this.graph ??= this.buildGraph();
    let ev: FlatEvent | undefined;
    if (typeof event === 'string') ev = scanText(event, this.graph);
    else if (event !== null && typeof event === 'object' && !Array.isArray(event)) ev = walkObject(event, this.graph);
    // Anything the fast paths do not take (invalid JSON, a root that is not an object): the full flattening, which
    // also reports the error.
    return this.matchFlat(ev ?? flattenEvent(event));
  }

  /** The paths the rules use, for selective flattening (rebuilt after rules change). */
  private buildGraph(): PathNode {
    const paths = new Set<string>();
    for (const rule of this.rules.values()) for (const e of rule.entries) for (const f of e.sub.fields) paths.add(f.path);
    return buildPathGraph(paths);
  }

  /** As `match`, for an event already flattened with `flattenEvent`. */
  matchFlat(ev: FlatEvent): string[] {
    const epoch = ++this.epoch;
    const candidates = this.candidates;
    candidates.length = 0;
    for (const [path, values] of ev.fields) {
      const vi = this.valueIndex.get(path);
      if (vi) for (let k = 0; k < values.length; k++) gatherValue(vi, values[k]!, epoch, candidates);
      gather(this.presenceIndex.get(path), epoch, candidates);
    }
    gather(this.always, epoch, candidates);

    let matched: Rule[] | undefined;
    for (let k = 0; k < candidates.length; k++) {
      const e = candidates[k]!;
      if (e.rule.matchedAt === epoch) continue;
      if (matchSubRule(e.sub, ev)) {
        e.rule.matchedAt = epoch;
        if (matched === undefined) matched = [e.rule];
        else matched.push(e.rule);
      }
    }
    candidates.length = 0;
    if (matched === undefined) return [];
    if (matched.length === 1) return [matched[0]!.name];
    matched.sort((a, b) => a.seq - b.seq);
    return matched.map((r) => r.name);
  }
}
