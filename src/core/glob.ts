/**
 * Wildcard patterns without regular expressions: `*` matches any run of characters (also none), `?` exactly one,
 * everything else itself, case-sensitively. Matching is greedy with backtracking to the last `*`: time grows at worst
 * with the lengths of pattern and text multiplied, never exponentially, whatever the pattern (a RegExp built from
 * `*` can backtrack for minutes on a hostile pattern). Used by the remediation scope and the lab.
 */

export const STAR = 0;
export const QMARK = 1;
/** A compiled wildcard pattern: literal code points (strings) and wildcards. */
export type Glob = Array<string | typeof STAR | typeof QMARK>;

/** Greedy-with-backtrack glob match over code points: linear in practice, never exponential. */
export function globMatch(pattern: Glob, text: string[]): boolean {
  let p = 0;
  let t = 0;
  let starP = -1;
  let starT = 0;
  while (t < text.length) {
    const item = pattern[p];
    if (p < pattern.length && (item === QMARK || item === text[t])) {
      p++;
      t++;
    } else if (p < pattern.length && item === STAR) {
      starP = p++;
      starT = t;
    } else if (starP !== -1) {
      p = starP + 1;
      t = ++starT;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === STAR) p++;
  return p === pattern.length;
}

export function literalGlob(text: string): Glob {
  return Array.from(text);
}

/** `*` and `?` are wildcards; everything else literal. */
export function wildcardGlob(text: string): Glob {
  return Array.from(text, (c) => (c === '*' ? STAR : c === '?' ? QMARK : c));
}

/**
 * Whether `text` matches `pattern`, where `*` matches any run of characters (also none) and `?` exactly one, case-
 * sensitively. No regular expression: time grows with the lengths of pattern and text multiplied at worst, never
 * exponentially, whatever the pattern.
 */
export function wildcardMatch(pattern: string, text: string): boolean {
  return globMatch(wildcardGlob(pattern), Array.from(text));
}
