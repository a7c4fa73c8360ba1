/**
 * Makes an attacker-controlled string safe to show to a person (terminal, e-mail, chat): control characters
 * (including ESC, so no ANSI sequences), bidirectional overrides and zero-width characters are shown as `\u{...}`
 * escapes, and the result is cut to `max` characters.
 */
export function safeText(s: string, max = 120): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  const escaped = s.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g, (c) => `\\u{${c.charCodeAt(0).toString(16)}}`);
  return escaped.length > max ? `${escaped.slice(0, max - 1)}…` : escaped;
}

/** The first `max` non-empty lines of a text, trimmed (for recognising a document's kind from its start). */
export function* firstLines(text: string, max: number): Generator<string> {
  let pos = 0;
  for (let seen = 0; seen < max && pos < text.length; ) {
    let end = text.indexOf('\n', pos);
    if (end === -1) end = text.length;
    const line = text.slice(pos, end).trim();
    pos = end + 1;
    if (line === '') continue;
    seen++;
    yield line;
  }
}
