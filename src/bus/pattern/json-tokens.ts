/**
 * A pull tokenizer for JSON text, modelled on Jackson's streaming parser because event-ruler (the engine EventBridge
 * runs) compiles patterns token by token with it:
 *
 * - Errors surface lazily, when the bad token is reached, so a semantic error early in a pattern wins over a syntax
 *   error later in it (`{"prefix": [1, 2 3]}` reports "prefix match pattern must be a string"), as in event-ruler.
 * - Number literals keep their text (`3.0e2` stays `3.0e2`), so numbers can be compared as EventBridge compares them.
 * - Duplicate keys are simply reported twice; what they mean is the consumer's business.
 * - Syntax error messages follow Jackson 2.14's wording (the first line of its message, without the trailing
 *   `at [Source: ...]` location), which is what event-ruler, and so EventBridge, reports.
 * - Like Jackson, nothing after the root value is read: the consumers stop at the root's closing brace.
 */

export type TokenType =
  | 'START_OBJECT'
  | 'END_OBJECT'
  | 'START_ARRAY'
  | 'END_ARRAY'
  | 'FIELD_NAME'
  | 'VALUE_STRING'
  | 'VALUE_NUMBER'
  | 'VALUE_TRUE'
  | 'VALUE_FALSE'
  | 'VALUE_NULL';

/** A JSON syntax error, worded as Jackson words it. */
export class JsonSyntaxError extends Error {}

interface Context {
  type: 'Object' | 'Array';
  /** Offset of the opening bracket. */
  start: number;
  /** Entries seen so far (for comma handling). */
  count: number;
}

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);

function charDesc(code: number): string {
  if (code < 0x20 || code === 0x7f) return `(CTRL-CHAR, code ${code})`;
  const ch = String.fromCharCode(code);
  if (code > 255) return `'${ch}' (code ${code} / 0x${code.toString(16)})`;
  return `'${ch}' (code ${code})`;
}

export class JsonTokenizer {
  private pos = 0;
  private readonly stack: Context[] = [];
  private afterName = false;
  /** Text of the current token: the field name, the decoded string, the number literal, or the literal word. */
  text = '';
  current: TokenType | null = null;

  constructor(private readonly src: string) {}

  /** Jackson's `[Source: (String)"..."; line: L, column: C]` for an offset. */
  location(offset: number): string {
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < offset && i < this.src.length; i++) {
      if (this.src.charCodeAt(i) === 0x0a) {
        line++;
        lineStart = i + 1;
      }
    }
    const max = 500;
    const shown = this.src.length > max ? `"${this.src.slice(0, max)}"[truncated ${this.src.length - max} chars]` : `"${this.src}"`;
    return `[Source: (String)${shown}; line: ${line}, column: ${offset - lineStart + 1}]`;
  }

  private fail(message: string): never {
    throw new JsonSyntaxError(message);
  }

  private skipWs(): number {
    const s = this.src;
    while (this.pos < s.length && WS.has(s.charCodeAt(this.pos))) this.pos++;
    return this.pos < s.length ? s.charCodeAt(this.pos) : -1;
  }

  /** The next token, or null at the end of the input (after a complete root value). */
  next(): TokenType | null {
    this.current = this.advance();
    return this.current;
  }

  private advance(): TokenType | null {
    if (this.afterName) {
      this.afterName = false;
      return this.value(this.skipWs());
    }
    let c = this.skipWs();
    const ctx = this.stack[this.stack.length - 1];
    if (c < 0) {
      if (ctx) this.fail(`Unexpected end-of-input: expected close marker for ${ctx.type} (start marker at ${this.location(ctx.start)})`);
      return null;
    }
    if (c === 0x5d || c === 0x7d) {
      const expected = ctx?.type === 'Array' ? ']' : ctx?.type === 'Object' ? '}' : undefined;
      const actual = String.fromCharCode(c);
      if (actual !== expected) {
        const desc = ctx ? `${ctx.type} starting at ${this.location(ctx.start)}` : 'root';
        this.fail(`Unexpected close marker '${actual}': expected '${expected ?? ' '}' (for ${desc})`);
      }
      this.pos++;
      this.stack.pop();
      return ctx!.type === 'Array' ? 'END_ARRAY' : 'END_OBJECT';
    }
    if (ctx && ctx.count > 0) {
      if (c !== 0x2c) this.fail(`Unexpected character (${charDesc(c)}): was expecting comma to separate ${ctx.type} entries`);
      this.pos++;
      c = this.skipWs();
      if (c < 0) this.fail(`Unexpected end-of-input: expected close marker for ${ctx.type} (start marker at ${this.location(ctx.start)})`);
    }
    if (ctx) ctx.count++;
    if (ctx?.type === 'Object') {
      if (c !== 0x22) this.fail(`Unexpected character (${charDesc(c)}): was expecting double-quote to start field name`);
      this.pos++;
      this.text = this.string();
      const colon = this.skipWs();
      if (colon !== 0x3a) {
        if (colon < 0) this.fail(`Unexpected end-of-input: expected close marker for Object (start marker at ${this.location(ctx.start)})`);
        this.fail(`Unexpected character (${charDesc(colon)}): was expecting a colon to separate field name and value`);
      }
      this.pos++;
      this.afterName = true;
      return 'FIELD_NAME';
    }
    return this.value(c);
  }

  private value(c: number): TokenType {
    const s = this.src;
    if (c < 0) {
      const ctx = this.stack[this.stack.length - 1];
      if (ctx) this.fail(`Unexpected end-of-input: expected close marker for ${ctx.type} (start marker at ${this.location(ctx.start)})`);
      this.fail('No content to map due to end-of-input');
    }
    switch (c) {
      case 0x22:
        this.pos++;
        this.text = this.string();
        return 'VALUE_STRING';
      case 0x7b:
        this.stack.push({ type: 'Object', start: this.pos, count: 0 });
        this.pos++;
        return 'START_OBJECT';
      case 0x5b:
        this.stack.push({ type: 'Array', start: this.pos, count: 0 });
        this.pos++;
        return 'START_ARRAY';
      case 0x74:
        return this.word('true', 'VALUE_TRUE');
      case 0x66:
        return this.word('false', 'VALUE_FALSE');
      case 0x6e:
        return this.word('null', 'VALUE_NULL');
      default:
        break;
    }
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
    if (c === 0x5d || c === 0x7d) {
      // A close marker where a value is required (after a comma): no trailing commas in JSON.
      const ctx = this.stack[this.stack.length - 1];
      if (ctx?.type === 'Object') this.fail(`Unexpected character (${charDesc(c)}): was expecting double-quote to start field name`);
      this.fail(`Unexpected character (${charDesc(c)}): expected a value`);
    }
    if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) {
      let end = this.pos;
      while (end < s.length && /[A-Za-z0-9_$]/.test(s[end]!)) end++;
      this.fail(`Unrecognized token '${s.slice(this.pos, end)}': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')`);
    }
    this.fail(`Unexpected character (${charDesc(c)}): expected a valid value (JSON String, Number, Array, Object or token 'null', 'true' or 'false')`);
  }

  private word(w: string, type: TokenType): TokenType {
    const s = this.src;
    let end = this.pos;
    while (end < s.length && /[A-Za-z0-9_$]/.test(s[end]!)) end++;
    const found = s.slice(this.pos, end);
    if (found !== w) {
      this.fail(`Unrecognized token '${found}': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')`);
    }
    this.pos = end;
    this.text = w;
    return type;
  }

  private number(): TokenType {
    const s = this.src;
    const start = this.pos;
    let i = this.pos;
    const code = (k: number) => (k < s.length ? s.charCodeAt(k) : -1);
    const isDigit = (k: number) => {
      const ch = code(k);
      return ch >= 0x30 && ch <= 0x39;
    };
    const bad = (k: number, what: string): never => {
      const ch = code(k);
      if (ch < 0) this.fail(`Unexpected end-of-input in a Number value`);
      this.fail(`Unexpected character (${charDesc(ch)}) in numeric value: ${what}`);
    };
    if (code(i) === 0x2d) {
      i++;
      if (!isDigit(i)) bad(i, 'expected digit (0-9) to follow minus sign, for valid numeric value');
    }
    if (code(i) === 0x30 && isDigit(i + 1)) this.fail('Invalid numeric value: Leading zeroes not allowed');
    while (isDigit(i)) i++;
    if (code(i) === 0x2e) {
      i++;
      if (!isDigit(i)) bad(i, 'Decimal point not followed by a digit');
      while (isDigit(i)) i++;
    }
    if (code(i) === 0x65 || code(i) === 0x45) {
      i++;
      if (code(i) === 0x2b || code(i) === 0x2d) i++;
      if (!isDigit(i)) bad(i, 'Exponent indicator not followed by a digit');
      while (isDigit(i)) i++;
    }
    this.pos = i;
    this.text = s.slice(start, i);
    return 'VALUE_NUMBER';
  }

  /** Reads a string body; `pos` is just after the opening quote. */
  private string(): string {
    const s = this.src;
    let out = '';
    let runStart = this.pos;
    let i = this.pos;
    for (;;) {
      if (i >= s.length) this.fail('Unexpected end-of-input: was expecting closing quote for a string value');
      const c = s.charCodeAt(i);
      if (c === 0x22) {
        out += s.slice(runStart, i);
        this.pos = i + 1;
        return out;
      }
      if (c === 0x5c) {
        out += s.slice(runStart, i);
        i++;
        if (i >= s.length) this.fail('Unexpected end-of-input in character escape sequence');
        const e = s[i]!;
        switch (e) {
          case '"':
          case '\\':
          case '/':
            out += e;
            break;
          case 'b':
            out += '\b';
            break;
          case 'f':
            out += '\f';
            break;
          case 'n':
            out += '\n';
            break;
          case 'r':
            out += '\r';
            break;
          case 't':
            out += '\t';
            break;
          case 'u': {
            const hex = s.slice(i + 1, i + 5);
            if (!/^[0-9A-Fa-f]{4}$/.test(hex)) {
              let k = i + 1;
              while (k < i + 5 && k < s.length && /[0-9A-Fa-f]/.test(s[k]!)) k++;
              if (k >= s.length) this.fail('Unexpected end-of-input in character escape sequence');
              this.fail(`Unexpected character (${charDesc(s.charCodeAt(k))}): expected a hex-digit for character escape sequence`);
            }
            out += String.fromCharCode(Number.parseInt(hex, 16));
            i += 4;
            break;
          }
          default:
            this.fail(`Unrecognized character escape ${charDesc(e.charCodeAt(0))}`);
        }
        i++;
        runStart = i;
        continue;
      }
      if (c < 0x20) {
        this.fail(`Illegal unquoted character (${charDesc(c)}): has to be escaped using backslash to be included in string value`);
      }
      i++;
    }
  }

  /** Skips the value whose first token is `current` (used to step over parts of an event nobody asks about). */
  skipValue(): void {
    if (this.current !== 'START_OBJECT' && this.current !== 'START_ARRAY') return;
    let depth = 1;
    while (depth > 0) {
      const t = this.next();
      if (t === 'START_OBJECT' || t === 'START_ARRAY') depth++;
      else if (t === 'END_OBJECT' || t === 'END_ARRAY') depth--;
      else if (t === null) return;
    }
  }
}
