/**
 * Selective flattening: an event flattened only along the field paths some rule uses (RuleMatcher's hot path).
 *
 * A sub-rule only ever looks up the paths of its own fields, so a FlatEvent holding exactly the values at the paths
 * the rules use (with the same array memberships) gives the same verdicts as the full flattening of evaluate.ts.
 * Absence stays computable: a used path with no value simply has no entry.
 *
 * Paths are built as evaluate.ts builds them (`prefix === '' ? key : prefix + '.' + key`), so `{"a":{"b":1}}`,
 * `{"a.b":1}` and `{"":{"a.b":1}}` all reach `a.b`. A PathNode stands for one path string P that is either a used
 * path or a prefix of one at a dot (or the root ''); its children map every key k to the node of the path P.k
 * whenever that path is itself such a node, so no path string is built while walking an event.
 *
 * From JSON text, `scanText` reads the event in one pass with a strict JSON scanner: values under keys no rule can
 * reach are checked and stepped over, never decoded; number literals keep their text; duplicate keys keep every
 * value. It accepts only a subset of what json-tokens.ts accepts (well-formed JSON whose root is an object, anything
 * after the root's closing brace ignored, as Jackson does) and returns undefined for anything else, so the caller can
 * fall back to the full tokenizer, which reports the error exactly as before.
 */
import type { EventValue, FlatEvent, Membership, ValueType } from './evaluate.js';
import { FALSE, NULL, NUMBER, STRING, TRUE } from './evaluate.js';

export interface PathNode {
  /** The path this node stands for. */
  readonly path: string;
  /** A rule uses this exact path: values here are recorded. */
  wanted: boolean;
  /** Keys leading to further nodes (object descent); empty when no used path continues below this one. */
  readonly children: Map<string, PathNode>;
  /** `children` as parallel arrays, for matching keys in place in the event text. */
  keys: string[];
  nodes: PathNode[];
}

/** Builds the path graph for a set of used paths; its root is the node of the path ''. */
export function buildPathGraph(paths: Iterable<string>): PathNode {
  const wanted = new Set(paths);
  const all = new Map<string, PathNode>();
  const node = (p: string): PathNode => {
    let n = all.get(p);
    if (!n) {
      n = { path: p, wanted: wanted.has(p), children: new Map(), keys: [], nodes: [] };
      all.set(p, n);
    }
    return n;
  };
  const root = node('');
  if (wanted.size === 0) return root;
  for (const r of wanted) {
    node(r);
    for (let j = r.indexOf('.'); j >= 0; j = r.indexOf('.', j + 1)) node(r.slice(0, j));
  }
  // Every node Q is reached from the root by the key Q, and from each non-empty dot prefix P of Q by the rest of Q
  // after `P.` (a path starting with '.' is not reached from the root by its tail: '' + key is just key).
  for (const [q, target] of all) {
    root.children.set(q, target);
    for (let j = q.indexOf('.', 1); j > 0; j = q.indexOf('.', j + 1)) all.get(q.slice(0, j))!.children.set(q.slice(j + 1), target);
  }
  for (const n of all.values()) {
    n.keys = [...n.children.keys()];
    n.nodes = [...n.children.values()];
  }
  return root;
}

/** Flattening state shared by the text scanner and the object walker. */
class Collector {
  fields = new Map<string, EventValue[]>();
  private arrayCount = 0;
  /** `[arrayId, index, ...]` of the enclosing arrays currently entered. */
  private readonly stack: number[] = [];
  private snapshot: Membership = null;
  private snapshotValid = true;

  reset(): void {
    this.fields = new Map();
    this.arrayCount = 0;
    this.stack.length = 0;
    this.snapshot = null;
    this.snapshotValid = true;
  }

  add(path: string, type: ValueType, text: string): void {
    if (!this.snapshotValid) {
      this.snapshot = this.stack.length === 0 ? null : this.stack.slice();
      this.snapshotValid = true;
    }
    const v: EventValue = { type, text, membership: this.snapshot };
    const list = this.fields.get(path);
    if (list) list.push(v);
    else this.fields.set(path, [v]);
  }

  newArray(): number {
    return this.arrayCount++;
  }

  enter(id: number, index: number): void {
    this.stack.push(id, index);
    this.snapshotValid = false;
  }

  leave(): void {
    this.stack.length -= 2;
    this.snapshotValid = false;
  }
}

/** Thrown (and caught in scanText) for anything the fast scanner does not accept. */
class Bail extends Error {}
const BAIL = new Bail('bail');

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

class TextScanner extends Collector {
  private s = '';
  private i = 0;
  private n = 0;

  run(text: string, root: PathNode): FlatEvent | undefined {
    this.reset();
    this.s = text;
    this.n = text.length;
    this.i = 0;
    try {
      if (this.ws() !== 0x7b) return undefined;
      this.i++;
      this.object(root);
      return { fields: this.fields };
    } catch (e) {
      if (e instanceof Bail || e instanceof RangeError) return undefined;
      throw e;
    } finally {
      this.s = '';
    }
  }

  /** Skips whitespace; the code at the new position, or -1 at the end. */
  private ws(): number {
    const s = this.s;
    let i = this.i;
    const n = this.n;
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) {
        this.i = i;
        return c;
      }
      i++;
    }
    this.i = i;
    return -1;
  }

  /** After `{`, with the node of the object's path. */
  private object(node: PathNode): void {
    const s = this.s;
    let c = this.ws();
    if (c === 0x7d) {
      this.i++;
      return;
    }
    for (;;) {
      if (c !== 0x22) throw BAIL;
      const start = ++this.i;
      const escaped = this.skipString();
      const end = this.i - 1;
      let child: PathNode | undefined;
      if (escaped) child = node.children.get(this.decode(start, end));
      else {
        const len = end - start;
        const keys = node.keys;
        if (keys.length <= 8) {
          for (let k = 0; k < keys.length; k++) {
            const key = keys[k]!;
            if (key.length === len && s.startsWith(key, start)) {
              child = node.nodes[k];
              break;
            }
          }
        } else child = node.children.get(s.slice(start, end));
      }
      if (this.ws() !== 0x3a) throw BAIL;
      this.i++;
      c = this.ws();
      if (child === undefined) this.skipValue(c);
      else this.value(c, child);
      c = this.ws();
      if (c === 0x2c) {
        this.i++;
        c = this.ws();
        continue;
      }
      if (c === 0x7d) {
        this.i++;
        return;
      }
      throw BAIL;
    }
  }

  /** A value at a node's path (recorded when the path is used, descended when a used path continues below). */
  private value(c: number, node: PathNode): void {
    switch (c) {
      case 0x22: {
        const start = ++this.i;
        const escaped = this.skipString();
        if (node.wanted) this.add(node.path, STRING, escaped ? this.decode(start, this.i - 1) : this.s.slice(start, this.i - 1));
        return;
      }
      case 0x7b:
        this.i++;
        if (node.keys.length > 0) this.object(node);
        else this.skipObject();
        return;
      case 0x5b:
        this.i++;
        this.array(node);
        return;
      case 0x74:
        this.word('true');
        if (node.wanted) this.add(node.path, TRUE, 'true');
        return;
      case 0x66:
        this.word('false');
        if (node.wanted) this.add(node.path, FALSE, 'false');
        return;
      case 0x6e:
        this.word('null');
        if (node.wanted) this.add(node.path, NULL, 'null');
        return;
      default: {
        const start = this.i;
        this.skipNumber(c);
        if (node.wanted) this.add(node.path, NUMBER, this.s.slice(start, this.i));
      }
    }
  }

  /** After `[`: every element counts under the array's own path; objects and arrays inside remember the element. */
  private array(node: PathNode): void {
    let c = this.ws();
    if (c === 0x5d) {
      this.i++;
      return;
    }
    const id = this.newArray();
    const descend = node.keys.length > 0;
    for (let index = 0; ; index++) {
      if (c === 0x5b || (c === 0x7b && descend)) {
        this.enter(id, index);
        this.value(c, node);
        this.leave();
      } else if (c === 0x7b) {
        this.i++;
        this.skipObject();
      } else this.value(c, node);
      c = this.ws();
      if (c === 0x2c) {
        this.i++;
        c = this.ws();
        continue;
      }
      if (c === 0x5d) {
        this.i++;
        return;
      }
      throw BAIL;
    }
  }

  private skipValue(c: number): void {
    switch (c) {
      case 0x22:
        this.i++;
        this.skipString();
        return;
      case 0x7b:
        this.i++;
        this.skipObject();
        return;
      case 0x5b:
        this.i++;
        this.skipArray();
        return;
      case 0x74:
        this.word('true');
        return;
      case 0x66:
        this.word('false');
        return;
      case 0x6e:
        this.word('null');
        return;
      default:
        this.skipNumber(c);
    }
  }

  private skipObject(): void {
    let c = this.ws();
    if (c === 0x7d) {
      this.i++;
      return;
    }
    for (;;) {
      if (c !== 0x22) throw BAIL;
      this.i++;
      this.skipString();
      if (this.ws() !== 0x3a) throw BAIL;
      this.i++;
      this.skipValue(this.ws());
      c = this.ws();
      if (c === 0x2c) {
        this.i++;
        c = this.ws();
        continue;
      }
      if (c === 0x7d) {
        this.i++;
        return;
      }
      throw BAIL;
    }
  }

  private skipArray(): void {
    let c = this.ws();
    if (c === 0x5d) {
      this.i++;
      return;
    }
    for (;;) {
      this.skipValue(c);
      c = this.ws();
      if (c === 0x2c) {
        this.i++;
        c = this.ws();
        continue;
      }
      if (c === 0x5d) {
        this.i++;
        return;
      }
      throw BAIL;
    }
  }

  /** Steps over a string body (position just after the opening quote) and its closing quote; true when it has escapes. */
  private skipString(): boolean {
    const s = this.s;
    const n = this.n;
    let i = this.i;
    let escaped = false;
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c === 0x22) {
        this.i = i + 1;
        return escaped;
      }
      if (c === 0x5c) {
        escaped = true;
        const e = s.charCodeAt(i + 1);
        if (e === 0x75) {
          if (!(isHex(s.charCodeAt(i + 2)) && isHex(s.charCodeAt(i + 3)) && isHex(s.charCodeAt(i + 4)) && isHex(s.charCodeAt(i + 5)))) throw BAIL;
          i += 6;
          continue;
        }
        if (e === 0x22 || e === 0x5c || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) {
          i += 2;
          continue;
        }
        throw BAIL;
      }
      if (c < 0x20) throw BAIL;
      i++;
    }
    throw BAIL;
  }

  /** The decoded text of a string body already checked by skipString (`start` to `end`, exclusive, no quotes). */
  private decode(start: number, end: number): string {
    const s = this.s;
    let out = '';
    let run = start;
    let i = start;
    while (i < end) {
      if (s.charCodeAt(i) !== 0x5c) {
        i++;
        continue;
      }
      out += s.slice(run, i);
      const e = s[i + 1]!;
      switch (e) {
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
        case 'u':
          out += String.fromCharCode(Number.parseInt(s.slice(i + 2, i + 6), 16));
          i += 4;
          break;
        default:
          out += e; // " \ /
      }
      i += 2;
      run = i;
    }
    return out + s.slice(run, end);
  }

  private word(w: string): void {
    if (!this.s.startsWith(w, this.i)) throw BAIL;
    this.i += w.length;
  }

  /** `-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?`, as json-tokens.ts reads it. */
  private skipNumber(c: number): void {
    const s = this.s;
    let i = this.i;
    if (c === 0x2d) c = s.charCodeAt(++i);
    if (c === 0x30) c = s.charCodeAt(++i);
    else if (c >= 0x31 && c <= 0x39) {
      do c = s.charCodeAt(++i);
      while (c >= 0x30 && c <= 0x39);
    } else throw BAIL;
    if (c === 0x2e) {
      c = s.charCodeAt(++i);
      if (!(c >= 0x30 && c <= 0x39)) throw BAIL;
      do c = s.charCodeAt(++i);
      while (c >= 0x30 && c <= 0x39);
    }
    if (c === 0x65 || c === 0x45) {
      c = s.charCodeAt(++i);
      if (c === 0x2b || c === 0x2d) c = s.charCodeAt(++i);
      if (!(c >= 0x30 && c <= 0x39)) throw BAIL;
      do c = s.charCodeAt(++i);
      while (c >= 0x30 && c <= 0x39);
    }
    this.i = i;
  }
}

const scanner = new TextScanner();

/**
 * The event given as JSON text, flattened along the graph's paths only; undefined when the fast scanner does not
 * accept the text (invalid JSON, a root that is not an object, ...): the caller then uses the full flattening.
 */
export function scanText(text: string, root: PathNode): FlatEvent | undefined {
  return scanner.run(text, root);
}

class ObjectWalker extends Collector {
  object(obj: object, node: PathNode): void {
    for (const key of Object.keys(obj)) {
      const child = node.children.get(key);
      if (child !== undefined) this.any((obj as Record<string, unknown>)[key], child);
    }
  }

  /** As evaluate.ts's Flattener.anyValue, restricted to the graph. */
  private any(v: unknown, node: PathNode): void {
    if (v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function') {
      v = (v as { toJSON(): unknown }).toJSON();
    }
    switch (typeof v) {
      case 'string':
        if (node.wanted) this.add(node.path, STRING, v);
        return;
      case 'number':
        if (node.wanted) {
          if (Number.isFinite(v)) this.add(node.path, NUMBER, JSON.stringify(v));
          else this.add(node.path, NULL, 'null');
        }
        return;
      case 'boolean':
        if (node.wanted) this.add(node.path, v ? TRUE : FALSE, v ? 'true' : 'false');
        return;
      case 'object':
        if (v === null) {
          if (node.wanted) this.add(node.path, NULL, 'null');
        } else if (Array.isArray(v)) this.array(v, node);
        else if (node.keys.length > 0) this.object(v, node);
        return;
      default:
        return;
    }
  }

  private array(arr: unknown[], node: PathNode): void {
    const id = this.newArray();
    arr.forEach((el, index) => {
      if (el !== null && typeof el === 'object') {
        this.enter(id, index);
        this.any(el, node);
        this.leave();
      } else {
        this.any(el === undefined ? null : el, node);
      }
    });
  }
}

/** A parsed event object (already checked to be a non-array object), flattened along the graph's paths only. */
export function walkObject(event: object, root: PathNode): FlatEvent {
  const w = new ObjectWalker();
  w.object(event, root);
  return { fields: w.fields };
}
