import { describe, expect, it } from 'vitest';
import { TrailhoundError } from '../../core/errors.js';
import { InvalidEventError, InvalidEventPatternError, matchesPattern, validatePattern } from './index.js';

/** m(pattern text, event text) */
const m = (pattern: string, event: string) => matchesPattern(pattern, event);

function reason(pattern: string): string {
  try {
    validatePattern(pattern);
  } catch (e) {
    if (e instanceof InvalidEventPatternError) return e.reason;
    throw e;
  }
  return 'valid';
}

describe('exact values', () => {
  it('strings compare exactly, case included', () => {
    expect(m('{"a":["x"]}', '{"a":"x"}')).toBe(true);
    expect(m('{"a":["x"]}', '{"a":"X"}')).toBe(false);
    expect(m('{"MY_KEY":["x"]}', '{"my_key":"x"}')).toBe(false);
  });
  it('numbers compare by value, not by text; strings never equal numbers', () => {
    expect(m('{"a":[300]}', '{"a":3.0e2}')).toBe(true);
    expect(m('{"a":[300]}', '{"a":300.000}')).toBe(true);
    expect(m('{"a":[300]}', '{"a":"300"}')).toBe(false);
    expect(m('{"a":["300"]}', '{"a":300}')).toBe(false);
  });
  it('numbers a double cannot hold keep their literal text', () => {
    expect(m('{"a":[12345678901234567890]}', '{"a":12345678901234567890}')).toBe(true);
    expect(m('{"a":[12345678901234567890]}', '{"a":12345678901234567891}')).toBe(false);
  });
  it('booleans, null and the empty string keep their types', () => {
    expect(m('{"a":[true]}', '{"a":true}')).toBe(true);
    expect(m('{"a":[true]}', '{"a":"true"}')).toBe(false);
    expect(m('{"a":[null]}', '{"a":null}')).toBe(true);
    expect(m('{"a":[null]}', '{"b":1}')).toBe(false);
    expect(m('{"a":[null]}', '{"a":[]}')).toBe(false);
    expect(m('{"a":[null]}', '{"a":"null"}')).toBe(false);
    expect(m('{"a":[""]}', '{"a":""}')).toBe(true);
    expect(m('{"a":[""]}', '{"a":null}')).toBe(false);
  });
  it('IP literals match the same address in another notation', () => {
    expect(m('{"ip":["::0"]}', '{"ip":"0:0::0"}')).toBe(true);
    expect(m('{"ip":["10.0.0.1"]}', '{"ip":"10.0.0.2"}')).toBe(false);
  });
  it('a detail given as a JSON string is not matched into', () => {
    expect(m('{"detail":{"a":["x"]}}', '{"detail":"{\\"a\\":\\"x\\"}"}')).toBe(false);
  });
});

describe('prefix and suffix', () => {
  it('match strings only; the empty affix matches every string', () => {
    expect(m('{"a":[{"prefix":"us-"}]}', '{"a":"us-east-1"}')).toBe(true);
    expect(m('{"a":[{"prefix":"1"}]}', '{"a":123}')).toBe(false);
    expect(m('{"a":[{"prefix":""}]}', '{"a":""}')).toBe(true);
    expect(m('{"a":[{"prefix":""}]}', '{"a":null}')).toBe(false);
    expect(m('{"a":[{"suffix":".png"}]}', '{"a":"x.png"}')).toBe(true);
    expect(m('{"a":[{"suffix":".png"}]}', '{"a":"x.PNG"}')).toBe(false);
  });
  it('have equals-ignore-case forms', () => {
    expect(m('{"a":[{"prefix":{"equals-ignore-case":"EventB"}}]}', '{"a":"eventbridge"}')).toBe(true);
    expect(m('{"a":[{"suffix":{"equals-ignore-case":".PNG"}}]}', '{"a":"x.png"}')).toBe(true);
    expect(m('{"a":[{"suffix":{"equals-ignore-case":".PNG"}}]}', '{"a":"x.jpg"}')).toBe(false);
  });
  it('need a string', () => {
    expect(reason('{"a":[{"prefix":["x"]}]}')).toBe('prefix match pattern must be a string');
    expect(reason('{"a":[{"suffix":1}]}')).toBe('suffix match pattern must be a string');
    expect(reason('{"a":[{"prefix":{"nope":"x"}}]}')).toBe('Unsupported prefix pattern: nope');
  });
});

describe('equals-ignore-case', () => {
  it('folds Unicode case per character', () => {
    expect(m('{"a":[{"equals-ignore-case":"ÄBC"}]}', '{"a":"äbc"}')).toBe(true);
    expect(m('{"a":[{"equals-ignore-case":"STRASSE"}]}', '{"a":"straße"}')).toBe(false);
    expect(m('{"a":[{"equals-ignore-case":""}]}', '{"a":""}')).toBe(true);
    expect(m('{"a":[{"equals-ignore-case":""}]}', '{"a":"x"}')).toBe(false);
    expect(m('{"a":[{"equals-ignore-case":"5"}]}', '{"a":5}')).toBe(false);
  });
  it('takes one string', () => {
    expect(reason('{"a":[{"equals-ignore-case":["x"]}]}')).toBe('equals-ignore-case match pattern must be a string');
  });
});

describe('wildcard', () => {
  it('* matches any run, including none; escapes are literal', () => {
    expect(m('{"a":[{"wildcard":"dir/*.png"}]}', '{"a":"dir/x/y.png"}')).toBe(true);
    expect(m('{"a":[{"wildcard":"ab*"}]}', '{"a":"ab"}')).toBe(true);
    expect(m('{"a":[{"wildcard":"a\\\\*b"}]}', '{"a":"a*b"}')).toBe(true);
    expect(m('{"a":[{"wildcard":"a\\\\*b"}]}', '{"a":"axb"}')).toBe(false);
    expect(m('{"a":[{"wildcard":"a\\\\\\\\b"}]}', '{"a":"a\\\\b"}')).toBe(true);
    expect(m('{"a":[{"wildcard":"1*"}]}', '{"a":123}')).toBe(false);
  });
  it('refuses **, bad escapes and over-complex patterns', () => {
    expect(reason('{"a":[{"wildcard":"a**b"}]}')).toBe('Consecutive wildcard characters at pos 2');
    expect(reason('{"a":[{"wildcard":"a\\\\xb"}]}')).toBe('Invalid escape character at pos 2');
    expect(reason('{"a":[{"wildcard":"*:*:*:*:*:event-bus/*"}]}')).toMatch(/^Rule is too complex/);
    expect(reason('{"a":[{"wildcard":"arn:aws:*:*:event-bus/*"}]}')).toBe('valid');
  });
});

describe('anything-but', () => {
  it('matches values that are not excluded, of any type, and null; never a missing field', () => {
    expect(m('{"a":[{"anything-but":"x"}]}', '{"a":"y"}')).toBe(true);
    expect(m('{"a":[{"anything-but":"x"}]}', '{"a":"x"}')).toBe(false);
    expect(m('{"a":[{"anything-but":"x"}]}', '{"a":5}')).toBe(true);
    expect(m('{"a":[{"anything-but":5}]}', '{"a":"x"}')).toBe(true);
    expect(m('{"a":[{"anything-but":5}]}', '{"a":5.0}')).toBe(false);
    expect(m('{"a":[{"anything-but":"x"}]}', '{"a":null}')).toBe(true);
    expect(m('{"a":[{"anything-but":"x"}]}', '{"b":"y"}')).toBe(false);
  });
  it('on arrays: matches when some element is not excluded', () => {
    expect(m('{"a":[{"anything-but":["x"]}]}', '{"a":["x","y"]}')).toBe(true);
    expect(m('{"a":[{"anything-but":["x"]}]}', '{"a":["x"]}')).toBe(false);
  });
  it('has prefix, suffix, equals-ignore-case and wildcard forms, single or lists', () => {
    expect(m('{"a":[{"anything-but":{"prefix":"init"}}]}', '{"a":"initial"}')).toBe(false);
    expect(m('{"a":[{"anything-but":{"prefix":"init"}}]}', '{"a":42}')).toBe(true);
    expect(m('{"a":[{"anything-but":{"suffix":[".txt",".md"]}}]}', '{"a":"x.md"}')).toBe(false);
    expect(m('{"a":[{"anything-but":{"equals-ignore-case":["ABC"]}}]}', '{"a":"abc"}')).toBe(false);
    expect(m('{"a":[{"anything-but":{"wildcard":"*/lib/*"}}]}', '{"a":"/usr/lib/x"}')).toBe(false);
    expect(m('{"a":[{"anything-but":{"wildcard":"*/lib/*"}}]}', '{"a":"/usr/bin/x"}')).toBe(true);
  });
  it('validates like AWS', () => {
    expect(reason('{"a":[{"anything-but":null}]}')).toBe('Value of anything-but must be an array or single string/number value.');
    expect(reason('{"a":[{"anything-but":["x",1]}]}')).toBe('Inside anything but list, either all values are number or string, mixed type is not supported');
    expect(reason('{"a":[{"anything-but":["x",null]}]}')).toBe('Inside anything but list, start|null|boolean is not supported.');
    expect(reason('{"a":[{"anything-but":{"prefix":""}}]}')).toBe('Null prefix/suffix not allowed');
    expect(reason('{"a":[{"anything-but":{"prefix":{"equals-ignore-case":"x"}}}]}')).toBe(
      'Value of anything-but must be an array or single string/number value.',
    );
    expect(reason('{"a":[{"anything-but":[{"wildcard":"x"}]}]}')).toBe('Inside anything but list, start|null|boolean is not supported.');
  });
});

describe('numeric', () => {
  it('compares JSON numbers only, with open and closed bounds', () => {
    expect(m('{"a":[{"numeric":[">",0,"<",1]}]}', '{"a":1}')).toBe(false);
    expect(m('{"a":[{"numeric":[">=",0,"<=",1]}]}', '{"a":1}')).toBe(true);
    expect(m('{"a":[{"numeric":[">",1]}]}', '{"a":"5"}')).toBe(false);
    expect(m('{"a":[{"numeric":[">",1]}]}', '{"a":null}')).toBe(false);
    expect(m('{"a":[{"numeric":["=",300]}]}', '{"a":3.0e2}')).toBe(true);
    expect(m('{"a":[{"numeric":[">",5e9]}]}', '{"a":6e9}')).toBe(true);
  });
  it('validates like AWS', () => {
    expect(reason('{"a":[{"numeric":10}]}')).toBe('Value of numeric must be an array.');
    expect(reason('{"a":[{"numeric":[">",0,">",0]}]}')).toBe('Bad numeric range operator: >');
    expect(reason('{"a":[{"numeric":[">",0,"<"]}]}')).toBe('Value of < must be numeric');
    expect(reason('{"a":[{"numeric":[">",1,"<",1]}]}')).toBe('Bottom must be less than top');
    expect(reason('{"a":[{"numeric":["=",1e400]}]}')).toBe('Cannot compare number : 1e400');
    expect(reason('{"a":[{"NUMERIC":["=",5]}]}')).toBe('Unrecognized match type NUMERIC');
  });
});

describe('exists', () => {
  it('is about leaf values', () => {
    expect(m('{"a":[{"exists":true}]}', '{"a":null}')).toBe(true);
    expect(m('{"a":[{"exists":true}]}', '{"a":""}')).toBe(true);
    expect(m('{"a":[{"exists":true}]}', '{"a":{"b":1}}')).toBe(false);
    expect(m('{"a":[{"exists":false}]}', '{"a":{"b":1}}')).toBe(true);
    expect(m('{"a":[{"exists":true}]}', '{"a":[]}')).toBe(false);
    expect(m('{"a":[{"exists":false}]}', '{"a":[]}')).toBe(true);
    expect(m('{"p":{"c":[{"exists":false}]}}', '{"q":1}')).toBe(true);
  });
  it('takes a boolean', () => {
    expect(reason('{"a":[{"exists":"true"}]}')).toBe('exists match pattern must be either true or false.');
  });
});

describe('cidr', () => {
  it('matches IPv4 and IPv6 addresses inside the block, not across families', () => {
    expect(m('{"ip":[{"cidr":"10.0.0.0/24"}]}', '{"ip":"10.0.0.255"}')).toBe(true);
    expect(m('{"ip":[{"cidr":"10.0.0.0/24"}]}', '{"ip":"10.0.1.0"}')).toBe(false);
    expect(m('{"ip":[{"cidr":"2001:db8::/32"}]}', '{"ip":"2001:db8:1::1"}')).toBe(true);
    expect(m('{"ip":[{"cidr":"2001:db8::/32"}]}', '{"ip":"2001:db9::1"}')).toBe(false);
    expect(m('{"ip":[{"cidr":"10.0.0.0/8"}]}', '{"ip":"::ffff:10.0.0.1"}')).toBe(false);
    expect(m('{"ip":[{"cidr":"10.0.0.0/8"}]}', '{"ip":"not-an-ip"}')).toBe(false);
  });
  it('validates like AWS', () => {
    expect(reason('{"ip":[{"cidr":"bad"}]}')).toBe("Malformed CIDR, one '/' required");
    expect(reason('{"ip":[{"cidr":"10.0.0.0/x"}]}')).toBe('Malformed CIDR, mask bits must be an integer');
    expect(reason('{"ip":[{"cidr":"xx.11.xx/8"}]}')).toBe('Nonstandard IP address: xx.11.xx');
  });
});

describe('$or', () => {
  it('is an OR of sub-patterns at any level', () => {
    expect(m('{"$or":[{"a":["1"]},{"b":["2"]}]}', '{"b":"2"}')).toBe(true);
    expect(m('{"d":{"$or":[{"a":["1"]},{"b":["2"]}]}}', '{"d":{"a":"1"}}')).toBe(true);
    expect(m('{"s":["x"],"$or":[{"a":["1"]},{"b":["2"]}]}', '{"b":"2"}')).toBe(false);
  });
  it('with one object, it is a field name and the pattern fails', () => {
    expect(reason('{"$or":[{"a":["1"]}]}')).toBe('Unrecognized match type a');
  });
  it('is capped at 1,000 combinations', () => {
    const or = `{"$or":[${Array.from({ length: 11 }, (_, i) => `{"f${i}":["v"]}`).join(',')}]}`;
    const pattern = `{"a":${or},"b":${or},"c":${or}}`;
    expect(reason(pattern)).toMatch(/1000/);
  });
});

describe('structure', () => {
  it('objects inside arrays are matched array-consistently', () => {
    const ev = '{"e":[{"f":"Anna","l":"Smith"},{"f":"Peter","l":"Jones"}]}';
    expect(m('{"e":{"f":["Anna"],"l":["Smith"]}}', ev)).toBe(true);
    expect(m('{"e":{"f":["Anna"],"l":["Jones"]}}', ev)).toBe(false);
  });
  it('dotted keys equal nesting, in patterns and events', () => {
    expect(m('{"a.b":["x"]}', '{"a":{"b":"x"}}')).toBe(true);
    expect(m('{"a":{"b":["x"]}}', '{"a.b":"x"}')).toBe(true);
  });
  it('a repeated key: the last one wins', () => {
    expect(m('{"a":["x"],"a":["y"]}', '{"a":"y"}')).toBe(true);
    expect(m('{"a":["x"],"a":["y"]}', '{"a":"x"}')).toBe(false);
  });
  it('refuses leaves that are not arrays, empty things and nested arrays', () => {
    expect(reason('{"int":42}')).toBe('"int" must be an object or an array');
    expect(reason('{}')).toBe('Empty objects are not allowed');
    expect(reason('{"detail":{}}')).toBe('Empty objects are not allowed');
    expect(reason('{"a":[]}')).toBe('Empty arrays are not allowed');
    expect(reason('{"a":[["x"]]}')).toBe('Match value must be String, number, true, false, or null');
    expect(reason('[1]')).toBe('Filter is not an object');
  });
  it('reports JSON syntax errors in Jackson words, after earlier semantic errors', () => {
    expect(reason('{"a":[1, 2 3]}')).toBe("Unexpected character ('3' (code 51)): was expecting comma to separate Array entries");
    expect(reason('{"a":[{"prefix":[1, 2 3]}]}')).toBe('prefix match pattern must be a string');
  });
  it('limits the pattern to 4,096 characters', () => {
    const long = `{"a":["${'x'.repeat(4090)}"]}`;
    expect(long.length).toBeGreaterThan(4096);
    expect(reason(long)).toMatch(/4096/);
  });
});

describe('errors and inputs', () => {
  it('InvalidEventPatternError is a TrailhoundError with code E_PATTERN and AWS message', () => {
    try {
      validatePattern('{"a":"b"}');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(TrailhoundError);
      expect((e as InvalidEventPatternError).code).toBe('E_PATTERN');
      expect((e as Error).message).toBe('Event pattern is not valid. Reason: "a" must be an object or an array');
    }
  });
  it('accepts parsed objects for pattern and event', () => {
    expect(matchesPattern({ source: ['aws.guardduty'] }, { source: 'aws.guardduty' })).toBe(true);
  });
  it('rejects events that are not JSON objects', () => {
    expect(() => matchesPattern('{"a":["x"]}', '[1]')).toThrow(InvalidEventError);
    expect(() => matchesPattern('{"a":["x"]}', '{"a":')).toThrow(InvalidEventError);
  });
});
