/**
 * String operators: wildcard and equals-ignore-case, with event-ruler's semantics.
 *
 * Wildcard: `*` matches zero or more characters, `\*` is a literal `*`, `\\` a literal backslash, and any other
 * backslash is invalid ("Invalid escape character at pos N"); `**` is invalid ("Consecutive wildcard characters at
 * pos N"). Positions are UTF-8 byte offsets in the quoted value (`"` + pattern + `"`), as event-ruler reports them.
 *
 * Wildcard complexity: AWS refuses patterns whose automaton can be in many states at once ("Rule is too complex");
 * event-ruler leaves the threshold to the caller and AWS's formula is not published. We measure, per wildcard
 * pattern, the largest number of wildcard (self-looping) states a single input can keep active at once (subset
 * construction over the pattern's own characters plus one "other" character) and refuse patterns above
 * WILDCARD_COMPLEXITY_LIMIT. Counting only wildcard states is what separates AWS's two recorded verdicts:
 * `*:*:*:*:*:event-bus/*` (six wildcards that can all be active: refused) and `/Users/<star>/dir/dir/dir/dir/dir/doc.txt` (<star> = `*`)
 * (many literal positions active at once, but one wildcard: accepted). Every wildcard pattern in the conformance
 * files has at most 3.
 *
 * equals-ignore-case: each UTF-16 unit of the pattern matches its lower-case or its upper-case form (Locale.ROOT
 * mappings, which can be longer than one unit), so `ÄBC` ~ `äbc`, while `STRASSE` does not match `straße`.
 */

export const WILDCARD_COMPLEXITY_LIMIT = 5;

/** Wildcard pattern split on its unescaped stars: `a*b*c` -> ['a', 'b', 'c']; a literal pattern has one segment. */
export type WildcardSegments = string[];

/** Parses a wildcard pattern; throws Error with event-ruler's message when it is invalid. */
export function parseWildcard(pattern: string): WildcardSegments {
  const segments: string[] = [];
  let cur = '';
  let bytePos = 1; // the opening quote
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') {
      if (pattern[i + 1] === '*') throw new Error(`Consecutive wildcard characters at pos ${bytePos}`);
      segments.push(cur);
      cur = '';
      bytePos += 1;
    } else if (c === '\\') {
      const n = pattern[i + 1];
      if (n === '*' || n === '\\') {
        cur += n;
        i++;
        bytePos += 2;
      } else {
        throw new Error(`Invalid escape character at pos ${bytePos}`);
      }
    } else {
      cur += c;
      bytePos += utf8Length(pattern, i);
      if (isHighSurrogate(pattern.charCodeAt(i)) && i + 1 < pattern.length && isLowSurrogate(pattern.charCodeAt(i + 1))) {
        cur += pattern[i + 1];
        i++;
      }
    }
  }
  segments.push(cur);
  return segments;
}

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}
function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

function utf8Length(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c < 0x80) return 1;
  if (c < 0x800) return 2;
  if (isHighSurrogate(c) && i + 1 < s.length && isLowSurrogate(s.charCodeAt(i + 1))) return 4;
  return 3;
}

/** True when the value matches the parsed wildcard pattern. */
export function matchWildcard(segments: WildcardSegments, value: string): boolean {
  if (segments.length === 1) return value === segments[0];
  const first = segments[0]!;
  const last = segments[segments.length - 1]!;
  if (value.length < first.length + last.length) return false;
  if (!value.startsWith(first) || !value.endsWith(last)) return false;
  let pos = first.length;
  const end = value.length - last.length;
  // Greedy leftmost placement of the middle segments is optimal when each is separated by stars.
  for (let k = 1; k < segments.length - 1; k++) {
    const seg = segments[k]!;
    const at = value.indexOf(seg, pos);
    if (at === -1 || at + seg.length > end) return false;
    pos = at + seg.length;
  }
  return pos <= end;
}

/**
 * The largest number of wildcard states one input can keep active at once. `segments` as from parseWildcard.
 * Exploration is capped; a pattern whose automaton is too big to explore counts as too complex.
 */
export function wildcardComplexity(segments: WildcardSegments, cap = WILDCARD_COMPLEXITY_LIMIT + 1): number {
  if (segments.length === 1) return 0;
  // Positions: one per literal character, plus the final position. starAt[p] = a star lets position p loop.
  const chars: string[] = [];
  const star: boolean[] = [];
  segments.forEach((seg, k) => {
    if (k > 0) star[chars.length] = true;
    for (const ch of seg) chars.push(ch);
  });
  const n = chars.length;
  const alphabet = [...new Set(chars), '\u0000other'];
  const start = [0];
  const key = (set: number[]) => set.join(',');
  const seen = new Set<string>([key(start)]);
  const queue: number[][] = [start];
  let max = 0;
  let explored = 0;
  while (queue.length > 0) {
    const set = queue.shift()!;
    if (++explored > 5000) return cap;
    for (const a of alphabet) {
      const next = new Set<number>();
      for (const p of set) {
        if (star[p]) next.add(p);
        if (p < n && chars[p] === a) next.add(p + 1);
      }
      if (next.size === 0) continue;
      const arr = [...next].sort((x, y) => x - y);
      let stars = 0;
      for (const p of arr) if (star[p]) stars++;
      if (stars > max) {
        max = stars;
        if (max >= cap) return max;
      }
      const k = key(arr);
      if (!seen.has(k)) {
        seen.add(k);
        queue.push(arr);
      }
    }
  }
  return max;
}

/** Per UTF-16 unit of the pattern, the forms an event may show there. */
export type CaseAlternatives = string[][];

export function caseAlternatives(pattern: string): CaseAlternatives {
  const out: string[][] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    const lower = c.toLowerCase();
    const upper = c.toUpperCase();
    out.push(lower === upper ? [lower] : [lower, upper]);
  }
  return out;
}

/** Matches `alts` against `value` from the start; returns the reachable end offsets. */
function forward(alts: CaseAlternatives, value: string): Set<number> {
  let positions = new Set<number>([0]);
  for (const options of alts) {
    const next = new Set<number>();
    for (const p of positions) {
      for (const o of options) if (value.startsWith(o, p)) next.add(p + o.length);
    }
    if (next.size === 0) return next;
    positions = next;
  }
  return positions;
}

export function equalsIgnoreCase(alts: CaseAlternatives, value: string): boolean {
  return forward(alts, value).has(value.length);
}

export function prefixIgnoreCase(alts: CaseAlternatives, value: string): boolean {
  return forward(alts, value).size > 0;
}

export function suffixIgnoreCase(alts: CaseAlternatives, value: string): boolean {
  let positions = new Set<number>([value.length]);
  for (let k = alts.length - 1; k >= 0; k--) {
    const next = new Set<number>();
    for (const p of positions) {
      for (const o of alts[k]!) {
        const s = p - o.length;
        if (s >= 0 && value.startsWith(o, s)) next.add(s);
      }
    }
    if (next.size === 0) return false;
    positions = next;
  }
  return true;
}
