import { Reader } from 'mmdb-lib';
import { describe, expect, it } from 'vitest';
import { type MmdbNetwork, type MmdbValue, MmdbWriteError, mmdbType, parseNetwork, writeMmdb } from './mmdb-writer.js';

// The writer is checked against an independent reader (mmdb-lib, the one enrich.ts uses).

const META = { database_type: 'Test-DB', build_epoch: 1_700_000_000, languages: ['en', 'de'], description: { en: 'writer test' } };

function read(buf: Buffer): Reader<Record<string, unknown>> {
  return new Reader<Record<string, unknown>>(buf);
}

/** A deterministic pseudo-random generator (xorshift32), so a failure can be replayed. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}

function randomBits(next: () => number, bits: number): bigint {
  let v = 0n;
  for (let i = 0; i < bits; i += 16) v = (v << 16n) | BigInt(Math.floor(next() * 65_536));
  return v & ((1n << BigInt(bits)) - 1n);
}

function v4Text(n: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 0xffn)).join('.');
}

function v6Text(n: bigint): string {
  const groups: string[] = [];
  for (let s = 112n; s >= 0n; s -= 16n) groups.push(((n >> s) & 0xffffn).toString(16));
  return groups.join(':');
}

const CITY_LIKE: MmdbValue = {
  city: { geoname_id: 5_375_480, names: { en: 'Mountain View', de: 'Mountain View', ja: 'マウンテンビュー' } },
  country: { geoname_id: 6_252_001, iso_code: 'US', names: { en: 'United States', de: 'USA' } },
  location: { accuracy_radius: mmdbType.uint16(1000), latitude: 37.386, longitude: -122.0838, time_zone: 'America/Los_Angeles' },
  subdivisions: [{ iso_code: 'CA', names: { en: 'California' } }],
  is_anycast: true,
  is_legitimate_proxy: false,
};

describe('writeMmdb read back with mmdb-lib', () => {
  for (const record_size of [24, 28, 32] as const) {
    it(`record_size ${record_size}: IPv4 and IPv6 networks, nested maps, arrays, booleans, numbers`, () => {
      const networks: MmdbNetwork[] = [
        { network: '8.8.8.0/24', data: CITY_LIKE },
        { network: '81.2.69.142/31', data: { city: 'London', latitude: 51.5142, longitude: -0.0931, n: mmdbType.uint32(4_294_967_295) } },
        { network: '2001:4860::/32', data: { v6: true, list: ['a', 'b', ['nested', { deep: { deeper: 'yes' } }]] } },
        { network: '2a02:2e0:3fe:1001::/64', data: { empty_map: {}, empty_array: [], zero: 0 } },
      ];
      const r = read(writeMmdb(networks, { ...META, record_size }));
      expect(r.metadata).toMatchObject({
        binaryFormatMajorVersion: 2,
        binaryFormatMinorVersion: 0,
        databaseType: 'Test-DB',
        ipVersion: 6,
        recordSize: record_size,
        languages: ['en', 'de'],
        description: { en: 'writer test' },
      });
      expect(r.metadata.buildEpoch.toISOString()).toBe('2023-11-14T22:13:20.000Z');
      expect(r.getWithPrefixLength('8.8.8.8')).toEqual([
        {
          city: { geoname_id: 5_375_480, names: { en: 'Mountain View', de: 'Mountain View', ja: 'マウンテンビュー' } },
          country: { geoname_id: 6_252_001, iso_code: 'US', names: { en: 'United States', de: 'USA' } },
          location: { accuracy_radius: 1000, latitude: 37.386, longitude: -122.0838, time_zone: 'America/Los_Angeles' },
          subdivisions: [{ iso_code: 'CA', names: { en: 'California' } }],
          is_anycast: true,
          is_legitimate_proxy: false,
        },
        24,
      ]);
      expect(r.getWithPrefixLength('81.2.69.143')).toEqual([{ city: 'London', latitude: 51.5142, longitude: -0.0931, n: 4_294_967_295 }, 31]);
      expect(r.get('2001:4860:4860::8888')).toEqual({ v6: true, list: ['a', 'b', ['nested', { deep: { deeper: 'yes' } }]] });
      expect(r.getWithPrefixLength('2a02:2e0:3fe:1001:7777:772e:2:85')).toEqual([{ empty_map: {}, empty_array: [], zero: 0 }, 64]);
      // Outside every network.
      for (const a of [
        '8.8.9.8',
        '81.2.69.141',
        '81.2.69.144',
        '1.1.1.1',
        '0.0.0.0',
        '255.255.255.255',
        '2001:4861::1',
        '2a02:2e0:3fe:1002::1',
        '::',
        'ffff::1',
      ]) {
        expect(r.get(a), a).toBeNull();
      }
    });
  }

  it('a narrower network overrides a broader one only inside itself, whatever the input order', () => {
    const networks: MmdbNetwork[] = [
      { network: '10.1.2.0/24', data: { name: 'narrow' } },
      { network: '10.0.0.0/8', data: { name: 'broad' } },
      { network: '10.1.2.128/25', data: { name: 'narrower' } },
      { network: '2001:db8::/32', data: { name: 'broad6' } },
      { network: '2001:db8:1::/48', data: { name: 'narrow6' } },
    ];
    const r = read(writeMmdb(networks, META));
    // Prefix lengths are as deep as the tree goes: splitting 10.0.0.0/8 for 10.1.2.0/24 left 10.128.0.0/9 a leaf.
    expect(r.getWithPrefixLength('10.200.0.1')).toEqual([{ name: 'broad' }, 9]);
    expect(r.getWithPrefixLength('10.1.3.1')).toEqual([{ name: 'broad' }, 24]);
    expect(r.getWithPrefixLength('10.1.2.1')).toEqual([{ name: 'narrow' }, 25]);
    expect(r.getWithPrefixLength('10.1.2.200')).toEqual([{ name: 'narrower' }, 25]);
    expect(r.get('11.0.0.0')).toBeNull();
    expect(r.get('2001:db8:2::1')).toEqual({ name: 'broad6' });
    expect(r.get('2001:db8:1:ffff::1')).toEqual({ name: 'narrow6' });
  });

  it('IPv4 lives under ::/96; ::ffff:0:0/96 and 2002::/16 lead to it unless aliasing is off', () => {
    const networks: MmdbNetwork[] = [{ network: '192.0.2.0/24', data: { v: 4 } }];
    const aliased = read(writeMmdb(networks, META));
    expect(aliased.get('::192.0.2.7')).toEqual({ v: 4 });
    expect(aliased.get('::ffff:192.0.2.7')).toEqual({ v: 4 });
    expect(aliased.get('2002:c000:0207::1')).toEqual({ v: 4 });
    expect(aliased.get('::ffff:192.0.3.7')).toBeNull();
    const plain = read(writeMmdb(networks, META, { aliasIpv4: false }));
    expect(plain.get('192.0.2.7')).toEqual({ v: 4 });
    expect(plain.get('::ffff:192.0.2.7')).toBeNull();
    expect(plain.get('2002:c000:0207::1')).toBeNull();
    // Networks inside an aliased block are refused rather than silently hidden.
    expect(() => writeMmdb([...networks, { network: '2002::/24', data: {} }], META)).toThrow(/2002::\/16/);
  });

  it('an IPv4-only database (ip_version 4)', () => {
    const r = read(
      writeMmdb(
        [
          { network: '1.0.0.0/24', data: { city: 'Brisbane' } },
          { network: '128.0.0.0/1', data: { half: true } },
        ],
        { ...META, ip_version: 4, record_size: 24 },
      ),
    );
    expect(r.metadata.ipVersion).toBe(4);
    expect(r.getWithPrefixLength('1.0.0.255')).toEqual([{ city: 'Brisbane' }, 24]);
    expect(r.getWithPrefixLength('200.1.2.3')).toEqual([{ half: true }, 1]);
    expect(r.get('1.0.1.0')).toBeNull();
    expect(() => writeMmdb([{ network: '2001:db8::/32', data: {} }], { ...META, ip_version: 4 })).toThrow(MmdbWriteError);
  });

  it('every scalar type round-trips, including the size encodings of long strings', () => {
    const long = (n: number) => 'é'.repeat(n / 2); // two UTF-8 bytes each: sizes count bytes, not characters
    const data = {
      double: mmdbType.double(-1.5e-300),
      float: mmdbType.float(0.25),
      u16: mmdbType.uint16(65_535),
      u32: mmdbType.uint32(16_777_216),
      u64: mmdbType.uint64(2n ** 64n - 1n),
      u128: mmdbType.uint128(2n ** 100n + 7n),
      i32neg: mmdbType.int32(-2_147_483_648),
      i32pos: mmdbType.int32(300),
      bytes: new Uint8Array([0, 1, 254, 255]),
      defaultDouble: 3.25,
      negative: -7,
      s28: long(28),
      s29: long(30),
      s284: long(284),
      s286: long(286),
      s65820: long(65_820),
      s65822: long(65_822),
    };
    const r = read(writeMmdb([{ network: '203.0.113.0/24', data }], META));
    const got = r.get('203.0.113.1') as Record<string, unknown>;
    expect(got).toEqual({
      double: -1.5e-300,
      float: 0.25,
      u16: 65_535,
      u32: 16_777_216,
      u64: 2n ** 64n - 1n,
      u128: 2n ** 100n + 7n,
      i32neg: -2_147_483_648,
      i32pos: 300,
      bytes: Buffer.from([0, 1, 254, 255]),
      defaultDouble: 3.25,
      negative: -7,
      s28: long(28),
      s29: long(30),
      s284: long(284),
      s286: long(286),
      s65820: long(65_820),
      s65822: long(65_822),
    });
  });

  it('repeated strings become pointers (11-, 19- and 27-bit): smaller file, same answers', () => {
    // A string first written past 2,048 bytes and one past 526,336 bytes need the longer pointer forms.
    const filler = 'f'.repeat(600_000);
    const networks: MmdbNetwork[] = [{ network: '198.17.0.0/24', data: { pad: 'p'.repeat(3000) } }];
    for (let i = 0; i < 200; i++) {
      networks.push({ network: `198.18.${i}.0/24`, data: { country: { iso_code: 'DE', names: { en: 'Germany' } }, city: `City ${i % 50}`, i } });
    }
    networks.push({ network: '198.19.0.0/24', data: { filler } });
    networks.push({ network: '198.19.1.0/24', data: { late: 'a string first written after the filler' } });
    networks.push({ network: '198.19.2.0/24', data: { again: 'a string first written after the filler', city: 'City 3' } });
    const withPointers = writeMmdb(networks, META);
    const without = writeMmdb(networks, META, { pointers: false });
    expect(withPointers.length).toBeLessThan(without.length);
    for (const buf of [withPointers, without]) {
      const r = read(buf);
      expect(r.get('198.18.77.1')).toEqual({ country: { iso_code: 'DE', names: { en: 'Germany' } }, city: 'City 27', i: 77 });
      expect(r.get('198.18.199.1')).toEqual({ country: { iso_code: 'DE', names: { en: 'Germany' } }, city: 'City 49', i: 199 });
      expect((r.get('198.19.0.1') as { filler: string }).filler).toBe(filler);
      expect(r.get('198.19.2.1')).toEqual({ again: 'a string first written after the filler', city: 'City 3' });
    }
  });

  it('identical data is written once and shared by its networks', () => {
    const data = { name: 'same', pad: 'x'.repeat(1000) };
    const one = writeMmdb([{ network: '192.0.2.0/24', data }], META, { aliasIpv4: false });
    const many = writeMmdb(
      ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24'].map((network) => ({ network, data: { ...data } })),
      META,
      { aliasIpv4: false },
    );
    expect(many.length - one.length).toBeLessThan(1000);
    expect(read(many).get('203.0.113.9')).toEqual(data);
  });

  it('28-bit records use the middle nibble once a record value passes 2^24; 24-bit records refuse', () => {
    // About 16.8 MB of data pushes the second record's data pointer past 2^24.
    const big = 'b'.repeat(16_800_000);
    const networks: MmdbNetwork[] = [
      { network: '192.0.2.0/24', data: { big } },
      { network: '198.51.100.0/24', data: { small: 'after the big one' } },
      { network: '2001:db8::/32', data: { six: 'also after' } },
    ];
    const r = read(writeMmdb(networks, { ...META, record_size: 28 }));
    expect(r.get('198.51.100.1')).toEqual({ small: 'after the big one' });
    expect(r.get('2001:db8::1')).toEqual({ six: 'also after' });
    expect((r.get('192.0.2.1') as { big: string }).big.length).toBe(16_800_000);
    expect(() => writeMmdb(networks, { ...META, record_size: 24 })).toThrow(/record_size 24 cannot address/);
  });

  it('random networks: every lookup agrees with a longest-prefix match over the input', () => {
    const next = rng(20_240_601);
    const networks: MmdbNetwork[] = [];
    const refs: Array<{ v: 4 | 6; address: bigint; len: number; data: Record<string, MmdbValue> }> = [];
    const seen = new Set<string>();
    for (let i = 0; i < 400; i++) {
      const v: 4 | 6 = next() < 0.5 ? 4 : 6;
      const bits = v === 4 ? 32 : 128;
      const len = v === 4 ? 8 + Math.floor(next() * 25) : 16 + Math.floor(next() * 113);
      let address = randomBits(next, bits);
      // IPv6 in 2400::/6 only, away from ::/96 and the aliased blocks; IPv4 in 1.0.0.0-127.255.255.255.
      if (v === 6) address = (address & ((1n << 122n) - 1n)) | (0x24n << 120n);
      else address = (address & 0x7fffffffn) | 0x01000000n;
      address &= ~((1n << BigInt(bits - len)) - 1n);
      const network = `${v === 4 ? v4Text(address) : v6Text(address)}/${len}`;
      if (seen.has(network)) continue;
      seen.add(network);
      const data = { network, index: i, tag: `t${i % 7}` };
      networks.push({ network, data });
      refs.push({ v, address, len, data });
    }
    const r = read(writeMmdb(networks, { ...META, record_size: 28 }));
    const expected = (v: 4 | 6, a: bigint) => {
      const bits = v === 4 ? 32 : 128;
      let best: (typeof refs)[number] | undefined;
      for (const n of refs) {
        if (n.v === v && a >> BigInt(bits - n.len) === n.address >> BigInt(bits - n.len) && (!best || n.len > best.len)) best = n;
      }
      return best ? best.data : null;
    };
    let found = 0;
    for (const n of refs) {
      const bits = n.v === 4 ? 32 : 128;
      // One address inside each network (often inside a narrower one too), one random address of the same family.
      const inside = n.address | (randomBits(next, bits) & ((1n << BigInt(bits - n.len)) - 1n));
      const anywhere = randomBits(next, bits);
      for (const a of [inside, anywhere]) {
        const text = n.v === 4 ? v4Text(a) : v6Text(a);
        const want = expected(n.v, a);
        if (want) found++;
        expect(r.get(text), text).toEqual(want);
      }
    }
    expect(found).toBeGreaterThan(refs.length);
  });
});

describe('writeMmdb refuses bad input', () => {
  it.each([
    ['not an address', 'nonsense/8', /not an IPv4 or IPv6 address/],
    ['a zone index', 'fe80::%eth0/64', /not an IPv4 or IPv6 address/],
    ['no prefix length', '192.0.2.0', /prefix length/],
    ['prefix too long', '192.0.2.0/33', /prefix length/],
    ['IPv6 prefix too long', '2001:db8::/129', /prefix length/],
    ['host bits set', '192.0.2.1/24', /host bits are set/],
    ['IPv6 host bits set', '2001:db8::1/64', /host bits are set/],
    ['the whole tree', '::/0', /whole tree/],
  ])('%s', (_what, network, message) => {
    expect(() => writeMmdb([{ network, data: {} }], META)).toThrow(MmdbWriteError);
    expect(() => writeMmdb([{ network, data: {} }], META)).toThrow(message);
  });

  it('a duplicate network names both', () => {
    expect(() =>
      writeMmdb(
        [
          { network: '192.0.2.0/24', data: { a: 1 } },
          { network: '::c000:200/120', data: { b: 2 } },
        ],
        META,
      ),
    ).toThrow('::c000:200/120: duplicate network (already given as 192.0.2.0/24)');
  });

  it('values without a MaxMind type, and numbers out of range', () => {
    const bad: unknown[] = [null, undefined, () => 1, Symbol('x'), mmdbType.uint16(65_536), mmdbType.uint32(-1), mmdbType.int32(2 ** 31), mmdbType.uint16(1.5)];
    for (const value of bad) {
      expect(() => writeMmdb([{ network: '192.0.2.0/24', data: { value: value as MmdbValue } }], META), String(value)).toThrow(MmdbWriteError);
    }
  });

  it('bad metadata', () => {
    expect(() => writeMmdb([], { ...META, record_size: 26 as 24 })).toThrow(/record_size/);
    expect(() => writeMmdb([], { ...META, ip_version: 5 as 4 })).toThrow(/ip_version/);
  });

  it('parseNetwork places IPv4 under ::/96 in an IPv6 tree', () => {
    expect(parseNetwork('1.2.3.0/24', 128)).toEqual({ address: 0x01020300n, length: 120 });
    expect(parseNetwork('1.2.3.0/24', 32)).toEqual({ address: 0x01020300n, length: 24 });
    expect(parseNetwork('::ffff:1.2.3.0/120', 128)).toEqual({ address: (0xffffn << 32n) | 0x01020300n, length: 120 });
    expect(parseNetwork('2001:db8::/32', 128)).toEqual({ address: 0x20010db8n << 96n, length: 32 });
  });
});
