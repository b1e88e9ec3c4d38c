/**
 * Reads the linear-memory declarations of a WebAssembly module from its binary
 * form. `WebAssembly.Module.imports/exports` list memories without their limits,
 * so the kernel reads the import section (id 2) and the memory section (id 5)
 * itself before it instantiates an extension's module.
 *
 * Binary format: WebAssembly Core Specification 2.0, section 5 ("Binary Format").
 */

/** Size of one WebAssembly page in bytes. */
export const WASM_PAGE_BYTES = 65_536;

/** One linear memory as the module declares it, in 64 KiB pages. */
export interface MemoryDeclaration {
  /** Origin of the memory: the module's own memory section or an import. */
  source: 'defined' | 'imported';
  /** `module.name` of an imported memory, or the memory's index for a defined one. */
  label: string;
  initialPages: number;
  /** Declared maximum in pages, or `undefined` when the module leaves it open. */
  maximumPages: number | undefined;
  shared: boolean;
  memory64: boolean;
}

/** Raised when the bytes are not a WebAssembly core module the reader understands. */
export class WasmBinaryReadError extends Error {
  constructor(message: string, offset: number) {
    super(`${message} (at byte ${offset})`);
    this.name = 'WasmBinaryReadError';
  }
}

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];
const WASM_CORE_VERSION = 1;

const SECTION_IMPORT = 2;
const SECTION_MEMORY = 5;

const IMPORT_KIND_FUNCTION = 0x00;
const IMPORT_KIND_TABLE = 0x01;
const IMPORT_KIND_MEMORY = 0x02;
const IMPORT_KIND_GLOBAL = 0x03;
const IMPORT_KIND_TAG = 0x04;

/** Reference-type prefixes of the typed function references proposal, each followed by a heap type. */
const REF_TYPE_NULLABLE = 0x63;
const REF_TYPE_NON_NULLABLE = 0x64;

const LIMITS_HAS_MAXIMUM = 0x01;
const LIMITS_SHARED = 0x02;
const LIMITS_64_BIT = 0x04;

class ByteReader {
  offset = 0;

  constructor(private readonly bytes: Uint8Array) {}

  get done(): boolean {
    return this.offset >= this.bytes.length;
  }

  byte(): number {
    const value = this.bytes[this.offset];
    if (value === undefined) throw new WasmBinaryReadError('unexpected end of module', this.offset);
    this.offset += 1;
    return value;
  }

  /**
   * Reads an unsigned LEB128 integer. Values past 2^53 lose precision, which is
   * harmless here because every such page count is far above any cap.
   */
  unsigned(maxBits: number): number {
    let result = 0;
    let factor = 1;

    for (let shift = 0; shift < maxBits; shift += 7) {
      const byte = this.byte();
      result += (byte & 0x7f) * factor;
      if ((byte & 0x80) === 0) return result;
      factor *= 128;
    }

    throw new WasmBinaryReadError(`LEB128 integer longer than ${maxBits} bits`, this.offset);
  }

  /** Skips a signed LEB128 integer (used for heap types). */
  skipSigned(maxBits: number): void {
    for (let shift = 0; shift < maxBits; shift += 7) {
      if ((this.byte() & 0x80) === 0) return;
    }
    throw new WasmBinaryReadError(`LEB128 integer longer than ${maxBits} bits`, this.offset);
  }

  name(): string {
    const length = this.unsigned(32);
    const end = this.offset + length;
    if (end > this.bytes.length) throw new WasmBinaryReadError('name runs past the end of the module', this.offset);

    const text = new TextDecoder('utf-8', { fatal: false }).decode(this.bytes.subarray(this.offset, end));
    this.offset = end;
    return text;
  }

  skip(length: number): void {
    if (this.offset + length > this.bytes.length) throw new WasmBinaryReadError('section runs past the end of the module', this.offset);
    this.offset += length;
  }
}

function readLimits(reader: ByteReader): Pick<MemoryDeclaration, 'initialPages' | 'maximumPages' | 'shared' | 'memory64'> {
  const flags = reader.byte();
  if (flags > (LIMITS_HAS_MAXIMUM | LIMITS_SHARED | LIMITS_64_BIT)) {
    throw new WasmBinaryReadError(`unknown memory limits flags 0x${flags.toString(16)}`, reader.offset - 1);
  }

  const memory64 = (flags & LIMITS_64_BIT) !== 0;
  const bits = memory64 ? 64 : 32;
  const initialPages = reader.unsigned(bits);
  const maximumPages = (flags & LIMITS_HAS_MAXIMUM) !== 0 ? reader.unsigned(bits) : undefined;

  return { initialPages, maximumPages, shared: (flags & LIMITS_SHARED) !== 0, memory64 };
}

function skipTableLimits(reader: ByteReader): void {
  const flags = reader.byte();
  const bits = (flags & LIMITS_64_BIT) !== 0 ? 64 : 32;
  reader.unsigned(bits);
  if ((flags & LIMITS_HAS_MAXIMUM) !== 0) reader.unsigned(bits);
}

function skipValueType(reader: ByteReader): void {
  const type = reader.byte();
  if (type === REF_TYPE_NULLABLE || type === REF_TYPE_NON_NULLABLE) reader.skipSigned(33);
}

function readImportSection(reader: ByteReader, memories: MemoryDeclaration[]): void {
  const count = reader.unsigned(32);

  for (let index = 0; index < count; index += 1) {
    const moduleName = reader.name();
    const fieldName = reader.name();
    const kind = reader.byte();

    switch (kind) {
      case IMPORT_KIND_FUNCTION:
        reader.unsigned(32);
        break;
      case IMPORT_KIND_TABLE:
        skipValueType(reader);
        skipTableLimits(reader);
        break;
      case IMPORT_KIND_MEMORY:
        memories.push({ source: 'imported', label: `${moduleName}.${fieldName}`, ...readLimits(reader) });
        break;
      case IMPORT_KIND_GLOBAL:
        skipValueType(reader);
        reader.byte();
        break;
      case IMPORT_KIND_TAG:
        reader.byte();
        reader.unsigned(32);
        break;
      default:
        throw new WasmBinaryReadError(`unknown import kind 0x${kind.toString(16)} for '${moduleName}.${fieldName}'`, reader.offset - 1);
    }
  }
}

function readMemorySection(reader: ByteReader, memories: MemoryDeclaration[]): void {
  const count = reader.unsigned(32);
  const importedCount = memories.length;

  for (let index = 0; index < count; index += 1) {
    memories.push({ source: 'defined', label: `memory ${importedCount + index}`, ...readLimits(reader) });
  }
}

/**
 * Lists every linear memory a module imports or defines, with its declared limits.
 * Throws `WasmBinaryReadError` when the bytes are not a WebAssembly 1.0 core
 * module (a component, for example, has another version number).
 *
 * @example
 * const [memory] = readMemoryDeclarations(bytes);
 * if (memory?.maximumPages === undefined) throw new Error('memory needs a maximum');
 */
export function readMemoryDeclarations(bytes: Uint8Array): MemoryDeclaration[] {
  const reader = new ByteReader(bytes);

  for (const expected of WASM_MAGIC) {
    if (reader.byte() !== expected) throw new WasmBinaryReadError('not a WebAssembly module: the magic number \\0asm is missing', 0);
  }

  const version = reader.byte() | (reader.byte() << 8) | (reader.byte() << 16) | (reader.byte() << 24);
  if (version !== WASM_CORE_VERSION) {
    throw new WasmBinaryReadError(`unsupported WebAssembly binary version ${version}; expected a core module of version 1`, 4);
  }

  const memories: MemoryDeclaration[] = [];

  while (!reader.done) {
    const sectionId = reader.byte();
    const size = reader.unsigned(32);
    const sectionEnd = reader.offset + size;

    if (sectionId === SECTION_IMPORT) {
      readImportSection(reader, memories);
    } else if (sectionId === SECTION_MEMORY) {
      readMemorySection(reader, memories);
    } else {
      reader.skip(size);
    }

    if (reader.offset !== sectionEnd) {
      throw new WasmBinaryReadError(`section ${sectionId} declares ${size} bytes but its contents end elsewhere`, reader.offset);
    }
  }

  return memories;
}
