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
 * For an event, the matcher flattens it once (JSON text is parsed once, numbers keep their literal text), walks the
 * event's own paths and values, gathers the sub-rules filed under them (hash probes: cost proportional to the event's
 * size, not to the number of rules), and fully evaluates only those candidates (evaluate.ts). Numbers are filed by
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

interface ValueIndex {
  byKey: Map<string, Set<Entry>>;
  /** Some key is an IP address (events' string values then need their address form). */
  ipKeys: number;
}

function exactKey(m: ValueMatcher): string | undefined {
  switch (m.kind) {
    case 'string':
      return `s${m.value}`;
    case 'ip':
      return `i${m.hex}`;
    case 'literal':
      return `l${m.text}`;
    case 'number':
      return `n${m.value}`;
    case 'true':
      return 't';
    case 'false':
      return 'f';
    case 'null':
      return 'z';
    default:
      return undefined;
  }
}

/** The keys under which an event value can be found in a ValueIndex. */
function valueKeys(v: EventValue, withIp: boolean, out: string[]): void {
  switch (v.type) {
    case STRING: {
      out.push(`s${v.text}`);
      if (withIp) {
        if (v.ip === undefined) v.ip = ipHex(v.text) ?? null;
        if (v.ip !== null) out.push(`i${v.ip}`);
      }
      return;
    }
    case NUMBER: {
      out.push(`l${v.text}`);
      if (v.num === undefined) v.num = comparableNumber(v.text) ?? null;
      if (v.num !== null) out.push(`n${v.num}`);
      return;
    }
    case TRUE:
      out.push('t');
      return;
    case FALSE:
      out.push('f');
      return;
    case NULL:
      out.push('z');
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
  }

  /** Removes a rule; returns whether it existed. */
  remove(name: string): boolean {
    const rule = this.rules.get(name);
    if (!rule) return false;
    for (const e of rule.entries) e.unfile();
    this.rules.delete(name);
    return true;
  }

  private file(rule: Rule, sub: SubRule): Entry {
    const entry: Entry = { rule, sub, seenAt: -1, unfile: () => {} };
    // 1. The most selective exact-value field: the one whose (path, value) lists are the shortest right now, so a
    //    value shared by many rules (`detail-type: GuardDuty Finding`) is not where they all pile up.
    let best: { path: string; keys: string[]; load: number } | undefined;
    for (const f of sub.fields) {
      if (f.absent || f.matchers.length === 0) continue;
      const keys = new Set<string>();
      let exact = true;
      for (const m of f.matchers) {
        const k = exactKey(m);
        if (k === undefined) {
          exact = false;
          break;
        }
        keys.add(k);
      }
      if (!exact) continue;
      const vi = this.valueIndex.get(f.path);
      let load = keys.size;
      for (const k of keys) load += vi?.byKey.get(k)?.size ?? 0;
      if (!best || load < best.load) best = { path: f.path, keys: [...keys], load };
    }
    if (best) {
      const { path, keys } = best;
      let vi = this.valueIndex.get(path);
      if (!vi) {
        vi = { byKey: new Map(), ipKeys: 0 };
        this.valueIndex.set(path, vi);
      }
      const ips = keys.filter((k) => k.startsWith('i')).length;
      vi.ipKeys += ips;
      for (const k of keys) {
        let set = vi.byKey.get(k);
        if (!set) {
          set = new Set();
          vi.byKey.set(k, set);
        }
        set.add(entry);
      }
      const index = vi;
      entry.unfile = () => {
        index.ipKeys -= ips;
        for (const k of keys) {
          const set = index.byKey.get(k);
          set?.delete(entry);
          if (set?.size === 0) index.byKey.delete(k);
        }
        if (index.byKey.size === 0) this.valueIndex.delete(path);
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
    return this.matchFlat(flattenEvent(event));
  }

  /** As `match`, for an event already flattened with `flattenEvent`. */
  matchFlat(ev: FlatEvent): string[] {
    const epoch = ++this.epoch;
    const candidates: Entry[] = [];
    const gather = (set: Iterable<Entry>) => {
      for (const e of set) {
        if (e.seenAt !== epoch) {
          e.seenAt = epoch;
          candidates.push(e);
        }
      }
    };
    const keys: string[] = [];
    for (const [path, values] of ev.fields) {
      const vi = this.valueIndex.get(path);
      if (vi) {
        for (const v of values) {
          keys.length = 0;
          valueKeys(v, vi.ipKeys > 0, keys);
          for (const k of keys) {
            const set = vi.byKey.get(k);
            if (set) gather(set);
          }
        }
      }
      const present = this.presenceIndex.get(path);
      if (present) gather(present);
    }
    gather(this.always);

    const matched: Rule[] = [];
    for (const e of candidates) {
      if (e.rule.matchedAt === epoch) continue;
      if (matchSubRule(e.sub, ev)) {
        e.rule.matchedAt = epoch;
        matched.push(e.rule);
      }
    }
    matched.sort((a, b) => a.seq - b.seq);
    return matched.map((r) => r.name);
  }
}
