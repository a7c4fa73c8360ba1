import { describe, expect, it } from 'vitest';
import { DomainIndex } from './domain-index.js';

describe('DomainIndex', () => {
  const index = new DomainIndex<string>();
  index.add('example.com', 'feed-a');
  index.add('*.c2.example.org', 'feed-b');
  index.add('evil.example.com', 'feed-b');
  index.add('example.com', 'feed-a'); // duplicate, kept once

  it('matches a listed name exactly, case and trailing dot aside', () => {
    expect(index.lookup('example.com')).toEqual(['feed-a']);
    expect(index.lookup('EXAMPLE.com.')).toEqual(['feed-a']);
  });

  it('matches the subdomains of a listed name, most specific rule first', () => {
    expect(index.lookup('a.b.example.com')).toEqual(['feed-a']);
    expect(index.lookup('evil.example.com')).toEqual(['feed-b', 'feed-a']);
    expect(index.lookup('x.evil.example.com')).toEqual(['feed-b', 'feed-a']);
  });

  it('matches a wildcard rule below its base only', () => {
    expect(index.lookup('beacon.c2.example.org')).toEqual(['feed-b']);
    expect(index.lookup('a.b.c2.example.org')).toEqual(['feed-b']);
    expect(index.lookup('c2.example.org')).toBeUndefined();
  });

  it('does not match look-alikes, parents or empty names', () => {
    expect(index.lookup('badexample.com')).toBeUndefined();
    expect(index.lookup('example.com.evil.net')).toBeUndefined();
    expect(index.lookup('com')).toBeUndefined();
    expect(index.lookup('example.org')).toBeUndefined();
    expect(index.lookup('')).toBeUndefined();
    expect(index.lookup('.')).toBeUndefined();
    expect(index.has('unrelated.test')).toBe(false);
    expect(index.size).toBe(4);
  });

  it('with subdomains: false, a plain name matches only itself', () => {
    const exact = new DomainIndex<number>({ subdomains: false });
    exact.add('example.com', 1);
    exact.add('*.example.net', 2);
    expect(exact.lookup('example.com')).toEqual([1]);
    expect(exact.lookup('www.example.com')).toBeUndefined();
    expect(exact.lookup('www.example.net')).toEqual([2]);
  });

  it('handles the longest names (253 characters)', () => {
    const deep = new DomainIndex<string>();
    deep.add('example.com', 'x');
    const name = `${'a.'.repeat(121)}example.com`;
    expect(name.length).toBe(253);
    expect(deep.lookup(name)).toEqual(['x']);
    expect(deep.lookup(`a.${name}`)).toBeUndefined(); // over 253 characters: not a name
  });
});
