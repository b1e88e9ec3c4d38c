/**
 * SHA-1, SHA-256 and SHA-512 (FIPS 180-4) and HMAC (RFC 2104) in plain TypeScript, because
 * the isolate has neither node:crypto nor Web Crypto. The round constants and initial hash
 * values are derived at first use, as FIPS 180-4 defines them. The constants are the first 32
 * or 64 bits of the fractional parts of the cube roots of the first primes. The initial values
 * take the same bits of their square roots. SHA-1's constants are the four values the standard lists.
 */

export const HASH_ALGORITHMS = ['sha1', 'sha256', 'sha512'] as const;
export type HashAlgorithm = (typeof HASH_ALGORITHMS)[number];

/** Block size of each algorithm, in bytes, as HMAC needs it. */
const BLOCK_BYTES: Record<HashAlgorithm, number> = { sha1: 64, sha256: 64, sha512: 128 };

function firstPrimes(count: number): number[] {
  const primes: number[] = [];
  for (let candidate = 2; primes.length < count; candidate++) {
    if (primes.every((prime) => candidate % prime !== 0)) primes.push(candidate);
  }
  return primes;
}

function bitLength(value: bigint): number {
  return value.toString(2).length;
}

/** floor(sqrt(n)) by Newton's method from above. */
function integerSqrt(n: bigint): bigint {
  let x = 1n << BigInt(Math.ceil(bitLength(n) / 2) + 1);
  for (;;) {
    const next = (x + n / x) >> 1n;
    if (next >= x) return x;
    x = next;
  }
}

/** floor(cbrt(n)) by Newton's method from above. */
function integerCbrt(n: bigint): bigint {
  let x = 1n << BigInt(Math.ceil(bitLength(n) / 3) + 1);
  for (;;) {
    const next = (2n * x + n / (x * x)) / 3n;
    if (next >= x) return x;
    x = next;
  }
}

/** Returns the first `bits` bits of the fractional part of the `degree`-th root of `prime`. */
function fractionBits(prime: number, degree: 2 | 3, bits: 32 | 64): bigint {
  const scaled = BigInt(prime) << BigInt(bits * degree);
  const root = degree === 2 ? integerSqrt(scaled) : integerCbrt(scaled);
  return root & ((1n << BigInt(bits)) - 1n);
}

let sha256Tables: { k: Uint32Array; h: Uint32Array } | undefined;
let sha512Tables: { k: Uint32Array; h: Uint32Array } | undefined;

function tables256() {
  if (sha256Tables) return sha256Tables;
  const primes = firstPrimes(64);
  sha256Tables = {
    k: Uint32Array.from(primes.map((prime) => Number(fractionBits(prime, 3, 32)))),
    h: Uint32Array.from(primes.slice(0, 8).map((prime) => Number(fractionBits(prime, 2, 32)))),
  };
  return sha256Tables;
}

/**
 * Computes the SHA-512 round constants and initial hash values once, then returns them.
 * Each 64-bit word is a pair: index 2i contains the high 32 bits and 2i + 1 the low 32 bits.
 */
function tables512() {
  if (sha512Tables) return sha512Tables;
  const primes = firstPrimes(80);
  const split = (value: bigint) => [Number(value >> 32n), Number(value & 0xffffffffn)];
  sha512Tables = {
    k: Uint32Array.from(primes.flatMap((prime) => split(fractionBits(prime, 3, 64)))),
    h: Uint32Array.from(primes.slice(0, 8).flatMap((prime) => split(fractionBits(prime, 2, 64)))),
  };
  return sha512Tables;
}

/** Appends the 1 bit, zeros and the message length in bits (big-endian, `lengthBytes` long). */
function pad(message: Uint8Array, blockBytes: number, lengthBytes: number): Uint8Array {
  const total = Math.ceil((message.length + 1 + lengthBytes) / blockBytes) * blockBytes;
  const padded = new Uint8Array(total);
  padded.set(message);
  padded[message.length] = 0x80;
  // Bit lengths up to 2^53 are exact as doubles, far beyond any message that fits in the isolate's memory.
  let bits = message.length * 8;
  for (let index = total - 1; index >= total - lengthBytes && bits > 0; index--) {
    padded[index] = bits % 256;
    bits = Math.floor(bits / 256);
  }
  return padded;
}

function readWord(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) >>> 0;
}

function wordsToBytes(words: Uint32Array): Uint8Array {
  const out = new Uint8Array(words.length * 4);
  words.forEach((word, index) => {
    out[index * 4] = word >>> 24;
    out[index * 4 + 1] = (word >>> 16) & 0xff;
    out[index * 4 + 2] = (word >>> 8) & 0xff;
    out[index * 4 + 3] = word & 0xff;
  });
  return out;
}

const rotl = (x: number, n: number) => ((x << n) | (x >>> (32 - n))) >>> 0;
const rotr = (x: number, n: number) => ((x >>> n) | (x << (32 - n))) >>> 0;

export function sha1(message: Uint8Array): Uint8Array {
  const h = Uint32Array.from([0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0]);
  const padded = pad(message, 64, 8);
  const w = new Uint32Array(80);
  for (let block = 0; block < padded.length; block += 64) {
    for (let t = 0; t < 16; t++) w[t] = readWord(padded, block + t * 4);
    for (let t = 16; t < 80; t++) w[t] = rotl(w[t - 3]! ^ w[t - 8]! ^ w[t - 14]! ^ w[t - 16]!, 1);

    let [a, b, c, d, e] = [h[0]!, h[1]!, h[2]!, h[3]!, h[4]!];
    for (let t = 0; t < 80; t++) {
      let f: number;
      let k: number;
      if (t < 20) [f, k] = [(b & c) | (~b & d), 0x5a827999];
      else if (t < 40) [f, k] = [b ^ c ^ d, 0x6ed9eba1];
      else if (t < 60) [f, k] = [(b & c) | (b & d) | (c & d), 0x8f1bbcdc];
      else [f, k] = [b ^ c ^ d, 0xca62c1d6];
      const temp = (rotl(a, 5) + (f >>> 0) + e + k + w[t]!) >>> 0;
      [e, d, c, b, a] = [d, c, rotl(b, 30), a, temp];
    }
    h[0] = (h[0]! + a) >>> 0;
    h[1] = (h[1]! + b) >>> 0;
    h[2] = (h[2]! + c) >>> 0;
    h[3] = (h[3]! + d) >>> 0;
    h[4] = (h[4]! + e) >>> 0;
  }
  return wordsToBytes(h);
}

export function sha256(message: Uint8Array): Uint8Array {
  const { k, h: initial } = tables256();
  const h = Uint32Array.from(initial);
  const padded = pad(message, 64, 8);
  const w = new Uint32Array(64);
  for (let block = 0; block < padded.length; block += 64) {
    for (let t = 0; t < 16; t++) w[t] = readWord(padded, block + t * 4);
    for (let t = 16; t < 64; t++) {
      const x = w[t - 15]!;
      const y = w[t - 2]!;
      const s0 = rotr(x, 7) ^ rotr(x, 18) ^ (x >>> 3);
      const s1 = rotr(y, 17) ^ rotr(y, 19) ^ (y >>> 10);
      w[t] = (w[t - 16]! + s0 + w[t - 7]! + s1) >>> 0;
    }

    let [a, b, c, d, e, f, g, hh] = [h[0]!, h[1]!, h[2]!, h[3]!, h[4]!, h[5]!, h[6]!, h[7]!];
    for (let t = 0; t < 64; t++) {
      const bigSigma1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
      const choose = (e & f) ^ (~e & g);
      const t1 = (hh + (bigSigma1 >>> 0) + (choose >>> 0) + k[t]! + w[t]!) >>> 0;
      const bigSigma0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
      const majority = (a & b) ^ (a & c) ^ (b & c);
      const t2 = ((bigSigma0 >>> 0) + (majority >>> 0)) >>> 0;
      [hh, g, f, e, d, c, b, a] = [g, f, e, (d + t1) >>> 0, c, b, a, (t1 + t2) >>> 0];
    }
    [a, b, c, d, e, f, g, hh].forEach((value, index) => (h[index] = (h[index]! + value) >>> 0));
  }
  return wordsToBytes(h);
}

// 64-bit rotations and shifts on (high, low) pairs; n is never 0 or 32 here.
const rotrHigh = (high: number, low: number, n: number) => (n < 32 ? (high >>> n) | (low << (32 - n)) : (low >>> (n - 32)) | (high << (64 - n))) >>> 0;
const rotrLow = (high: number, low: number, n: number) => (n < 32 ? (low >>> n) | (high << (32 - n)) : (high >>> (n - 32)) | (low << (64 - n))) >>> 0;
const shrHigh = (high: number, _low: number, n: number) => high >>> n;
const shrLow = (high: number, low: number, n: number) => ((low >>> n) | (high << (32 - n))) >>> 0;

/** Adds 64-bit values given as [high, low] pairs, modulo 2^64. */
function add64(...pairs: Array<[number, number]>): [number, number] {
  let low = 0;
  let high = 0;
  for (const [pairHigh, pairLow] of pairs) {
    low += pairLow;
    high += pairHigh;
  }
  high += Math.floor(low / 0x100000000);
  return [high >>> 0, low >>> 0];
}

export function sha512(message: Uint8Array): Uint8Array {
  const { k, h: initial } = tables512();
  const h = Uint32Array.from(initial);
  const padded = pad(message, 128, 16);
  const w = new Uint32Array(160);
  for (let block = 0; block < padded.length; block += 128) {
    for (let t = 0; t < 32; t++) w[t] = readWord(padded, block + t * 4);
    for (let t = 16; t < 80; t++) {
      const [xh, xl] = [w[(t - 15) * 2]!, w[(t - 15) * 2 + 1]!];
      const [yh, yl] = [w[(t - 2) * 2]!, w[(t - 2) * 2 + 1]!];
      const s0: [number, number] = [(rotrHigh(xh, xl, 1) ^ rotrHigh(xh, xl, 8) ^ shrHigh(xh, xl, 7)) >>> 0, (rotrLow(xh, xl, 1) ^ rotrLow(xh, xl, 8) ^ shrLow(xh, xl, 7)) >>> 0];
      const s1: [number, number] = [(rotrHigh(yh, yl, 19) ^ rotrHigh(yh, yl, 61) ^ shrHigh(yh, yl, 6)) >>> 0, (rotrLow(yh, yl, 19) ^ rotrLow(yh, yl, 61) ^ shrLow(yh, yl, 6)) >>> 0];
      const [sumHigh, sumLow] = add64([w[(t - 16) * 2]!, w[(t - 16) * 2 + 1]!], s0, [w[(t - 7) * 2]!, w[(t - 7) * 2 + 1]!], s1);
      w[t * 2] = sumHigh;
      w[t * 2 + 1] = sumLow;
    }

    const v = Array.from({ length: 8 }, (_, index): [number, number] => [h[index * 2]!, h[index * 2 + 1]!]);
    for (let t = 0; t < 80; t++) {
      const [a, b, c, d, e, f, g, hh] = v as Array<[number, number]>;
      const [eh, el] = e!;
      const [ah, al] = a!;
      const bigSigma1: [number, number] = [(rotrHigh(eh, el, 14) ^ rotrHigh(eh, el, 18) ^ rotrHigh(eh, el, 41)) >>> 0, (rotrLow(eh, el, 14) ^ rotrLow(eh, el, 18) ^ rotrLow(eh, el, 41)) >>> 0];
      const choose: [number, number] = [((eh & f![0]) ^ (~eh & g![0])) >>> 0, ((el & f![1]) ^ (~el & g![1])) >>> 0];
      const t1 = add64(hh!, bigSigma1, choose, [k[t * 2]!, k[t * 2 + 1]!], [w[t * 2]!, w[t * 2 + 1]!]);
      const bigSigma0: [number, number] = [(rotrHigh(ah, al, 28) ^ rotrHigh(ah, al, 34) ^ rotrHigh(ah, al, 39)) >>> 0, (rotrLow(ah, al, 28) ^ rotrLow(ah, al, 34) ^ rotrLow(ah, al, 39)) >>> 0];
      const majority: [number, number] = [((ah & b![0]) ^ (ah & c![0]) ^ (b![0] & c![0])) >>> 0, ((al & b![1]) ^ (al & c![1]) ^ (b![1] & c![1])) >>> 0];
      const t2 = add64(bigSigma0, majority);
      v[7] = g!;
      v[6] = f!;
      v[5] = e!;
      v[4] = add64(d!, t1);
      v[3] = c!;
      v[2] = b!;
      v[1] = a!;
      v[0] = add64(t1, t2);
    }
    v.forEach((pair, index) => {
      const [sumHigh, sumLow] = add64([h[index * 2]!, h[index * 2 + 1]!], pair);
      h[index * 2] = sumHigh;
      h[index * 2 + 1] = sumLow;
    });
  }
  return wordsToBytes(h);
}

const HASHES: Record<HashAlgorithm, (message: Uint8Array) => Uint8Array> = { sha1, sha256, sha512 };

export function hash(algorithm: HashAlgorithm, message: Uint8Array): Uint8Array {
  return HASHES[algorithm](message);
}

/** HMAC (RFC 2104): H((K ^ opad) || H((K ^ ipad) || message)), with a key longer than a block hashed first. */
export function hmac(algorithm: HashAlgorithm, key: Uint8Array, message: Uint8Array): Uint8Array {
  const blockBytes = BLOCK_BYTES[algorithm];
  const blockKey = new Uint8Array(blockBytes);
  blockKey.set(key.length > blockBytes ? hash(algorithm, key) : key);

  const inner = new Uint8Array(blockBytes + message.length);
  const outer = new Uint8Array(blockBytes);
  for (let index = 0; index < blockBytes; index++) {
    inner[index] = blockKey[index]! ^ 0x36;
    outer[index] = blockKey[index]! ^ 0x5c;
  }
  inner.set(message, blockBytes);
  const innerHash = hash(algorithm, inner);

  const final = new Uint8Array(blockBytes + innerHash.length);
  final.set(outer);
  final.set(innerHash, blockBytes);
  return hash(algorithm, final);
}
