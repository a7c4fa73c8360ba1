/**
 * Numbers as EventBridge (event-ruler) compares them.
 *
 * A number literal is "comparable" when it converts to a finite IEEE-754 double without losing anything, i.e. the
 * double's shortest decimal form has the same decimal value as the literal: `300`, `300.0`, `3.0e2` and `3.8` are
 * comparable (and `300` = `3.0e2`); `1e400` (overflow), `1e-325` (underflow to zero) and `12345678901234567890`
 * (more digits than a double keeps) are not. A pattern number that is not comparable is refused inside `numeric`
 * and `anything-but` ("Cannot compare number : <text>"); as an exact value it keeps only its literal text, so it
 * matches the same text in the event. An event number that is not comparable matches no numeric operator.
 */

/** The decimal value of a number literal as (sign, digits without leading/trailing zeros, exponent of the last digit). */
function canonicalDecimal(text: string): string | undefined {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!m) return undefined;
  const sign = m[1]!;
  const intPart = m[2]!;
  const frac = m[3] ?? '';
  let exp = Number.parseInt(m[4] ?? '0', 10) - frac.length;
  let digits = (intPart + frac).replace(/^0+/, '');
  if (digits === '') return '0';
  const trimmed = digits.replace(/0+$/, '');
  exp += digits.length - trimmed.length;
  digits = trimmed;
  return `${sign}${digits}e${exp}`;
}

/** The double a number literal stands for, or undefined when EventBridge cannot compare it (see above). */
export function comparableNumber(text: string): number | undefined {
  const d = Number(text);
  if (!Number.isFinite(d)) return undefined;
  // Already the double's shortest form (the usual case): nothing can have been lost.
  if (text === String(d)) return d;
  const literal = canonicalDecimal(text);
  if (literal === undefined) return undefined;
  const shortest = canonicalDecimal(formatShortest(d));
  if (literal === '0' || literal === '-0') return shortest === '0' || shortest === '-0' ? 0 : undefined;
  return literal === shortest ? d : undefined;
}

/** JavaScript's shortest round-trip form, rewritten into plain JSON number syntax. */
function formatShortest(d: number): string {
  const s = Object.is(d, -0) ? '0' : String(d);
  return s.replace('e+', 'e');
}
