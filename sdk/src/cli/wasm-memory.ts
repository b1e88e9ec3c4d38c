/**
 * Reads and sets the linear-memory limits of a WebAssembly binary. The kernel rejects
 * modules whose memories declare no maximum, so `validate` checks them and the Go
 * build, whose linker declares none, sets one.
 */

export interface MemoryLimits {
  source: 'defined' | 'imported';
  /** Initial size, in 64 KiB pages. */
  initialPages: number;
  /** Maximum size, in 64 KiB pages; undefined when the module declares none. */
  maximumPages: number | undefined;
}

const MEMORY_SECTION = 5;
const IMPORT_SECTION = 2;
const MEMORY_KIND = 2;

class Reader {
  constructor(readonly bytes: Uint8Array, public offset = 0) {}

  byte(): number {
    if (this.offset >= this.bytes.length) throw new Error('unexpected end of the WebAssembly binary');
    return this.bytes[this.offset++]!;
  }

  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const byte = this.byte();
      result |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result >>> 0;
      shift += 7;
      if (shift > 35) throw new Error('invalid LEB128 number in the WebAssembly binary');
    }
  }

  skip(count: number): void {
    this.offset += count;
  }

  limits(): { initialPages: number; maximumPages: number | undefined; flagOffset: number; end: number } {
    const flagOffset = this.offset;
    const flags = this.byte();
    const initialPages = this.u32();
    const maximumPages = flags & 0x01 ? this.u32() : undefined;
    return { initialPages, maximumPages, flagOffset, end: this.offset };
  }
}

function sections(bytes: Uint8Array): Array<{ id: number; start: number; end: number; headerStart: number }> {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) throw new Error('not a WebAssembly binary (missing the \\0asm header)');
  const reader = new Reader(bytes, 8);
  const found = [];
  while (reader.offset < bytes.length) {
    const headerStart = reader.offset;
    const id = reader.byte();
    const size = reader.u32();
    found.push({ id, start: reader.offset, end: reader.offset + size, headerStart });
    reader.skip(size);
  }
  return found;
}

function skipImportDescriptor(reader: Reader, kind: number): void {
  if (kind === 0) reader.u32();
  else if (kind === 1) {
    reader.byte();
    reader.limits();
  } else if (kind === 3) {
    reader.byte();
    reader.byte();
  } else if (kind === 4) {
    reader.byte();
    reader.u32();
  } else throw new Error(`unknown import kind ${kind}`);
}

/**
 * Lists the memories a WebAssembly binary defines or imports, with their limits.
 *
 * @example
 * readMemoryLimits(fs.readFileSync('dist/plugin.wasm')); // [{ source: 'defined', initialPages: 1, maximumPages: 256 }]
 */
export function readMemoryLimits(bytes: Uint8Array): MemoryLimits[] {
  const memories: MemoryLimits[] = [];
  for (const section of sections(bytes)) {
    const reader = new Reader(bytes, section.start);
    if (section.id === IMPORT_SECTION) {
      const count = reader.u32();
      for (let i = 0; i < count; i++) {
        reader.skip(reader.u32());
        reader.skip(reader.u32());
        const kind = reader.byte();
        if (kind === MEMORY_KIND) {
          const { initialPages, maximumPages } = reader.limits();
          memories.push({ source: 'imported', initialPages, maximumPages });
        } else skipImportDescriptor(reader, kind);
      }
    } else if (section.id === MEMORY_SECTION) {
      const count = reader.u32();
      for (let i = 0; i < count; i++) {
        const { initialPages, maximumPages } = reader.limits();
        memories.push({ source: 'defined', initialPages, maximumPages });
      }
    }
  }
  return memories;
}

function encodeU32(value: number): number[] {
  const out: number[] = [];
  let rest = value >>> 0;
  do {
    let byte = rest & 0x7f;
    rest >>>= 7;
    if (rest !== 0) byte |= 0x80;
    out.push(byte);
  } while (rest !== 0);
  return out;
}

/**
 * Returns a copy of the binary whose defined memories declare `maximumPages` as their
 * maximum (kept when already lower). Raises when an initial size exceeds it.
 *
 * @example
 * fs.writeFileSync(file, setMemoryMaximum(fs.readFileSync(file), 256));
 */
export function setMemoryMaximum(bytes: Uint8Array, maximumPages: number): Uint8Array {
  const section = sections(bytes).find((s) => s.id === MEMORY_SECTION);
  if (!section) return bytes;

  const reader = new Reader(bytes, section.start);
  const count = reader.u32();
  const body: number[] = encodeU32(count);
  for (let i = 0; i < count; i++) {
    const limits = reader.limits();
    if (limits.initialPages > maximumPages) throw new Error(`the module's memory starts at ${limits.initialPages} pages, above the maximum of ${maximumPages} pages`);
    const flags = bytes[limits.flagOffset]!;
    const maximum = limits.maximumPages === undefined ? maximumPages : Math.min(limits.maximumPages, maximumPages);
    body.push(flags | 0x01, ...encodeU32(limits.initialPages), ...encodeU32(maximum));
  }

  const header = [MEMORY_SECTION, ...encodeU32(body.length)];
  const result = new Uint8Array(section.headerStart + header.length + body.length + (bytes.length - section.end));
  result.set(bytes.subarray(0, section.headerStart), 0);
  result.set(header, section.headerStart);
  result.set(body, section.headerStart + header.length);
  result.set(bytes.subarray(section.end), section.headerStart + header.length + body.length);
  return result;
}
