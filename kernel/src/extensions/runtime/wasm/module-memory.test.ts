import wabtInit from 'wabt';
import { beforeAll, describe, expect, it } from 'vitest';

import { enforceMemoryLimit, megabytesToPages } from './memory-policy.js';
import { readMemoryDeclarations, WasmBinaryReadError } from './module-memory.js';
import { WasmModuleRejectedError } from './errors.js';

let wabt: Awaited<ReturnType<typeof wabtInit>>;

function wat(text: string, features: Record<string, boolean> = {}): Uint8Array {
  const module = wabt.parseWat('test.wat', text, features);
  try {
    return module.toBinary({}).buffer;
  } finally {
    module.destroy();
  }
}

beforeAll(async () => {
  wabt = await wabtInit();
});

describe('readMemoryDeclarations', () => {
  it('reads a defined memory with a maximum', () => {
    const memories = readMemoryDeclarations(wat('(module (memory 3 40))'));

    expect(memories).toEqual([{ source: 'defined', label: 'memory 0', initialPages: 3, maximumPages: 40, shared: false, memory64: false }]);
  });

  it('reads a defined memory without a maximum', () => {
    const [memory] = readMemoryDeclarations(wat('(module (memory 2))'));

    expect(memory?.maximumPages).toBeUndefined();
  });

  it('reads an imported memory after other imports', () => {
    const bytes = wat(`(module
      (import "env" "f" (func (param i64) (result i64)))
      (import "env" "table" (table 2 10 funcref))
      (import "env" "g" (global (mut i32)))
      (import "host" "mem" (memory 5 9)))`);

    const memories = readMemoryDeclarations(bytes);

    expect(memories).toEqual([{ source: 'imported', label: 'host.mem', initialPages: 5, maximumPages: 9, shared: false, memory64: false }]);
  });

  it('reads a shared memory', () => {
    const [memory] = readMemoryDeclarations(wat('(module (memory 1 4 shared))', { threads: true }));

    expect(memory?.shared).toBe(true);
    expect(memory?.maximumPages).toBe(4);
  });

  it('reads a 64-bit memory', () => {
    const [memory] = readMemoryDeclarations(wat('(module (memory i64 1 70000))', { memory64: true }));

    expect(memory?.memory64).toBe(true);
    expect(memory?.maximumPages).toBe(70_000);
  });

  it('returns nothing for a module without memory', () => {
    expect(readMemoryDeclarations(wat('(module (func (export "f")))'))).toEqual([]);
  });

  it('rejects bytes without the magic number', () => {
    expect(() => readMemoryDeclarations(new TextEncoder().encode('hello world'))).toThrow(WasmBinaryReadError);
  });

  it('rejects a component binary version', () => {
    const component = Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00]);

    expect(() => readMemoryDeclarations(component)).toThrow('unsupported WebAssembly binary version 65549');
  });

  it('rejects a truncated module', () => {
    const bytes = wat('(module (memory 1 2) (func (export "f")))');

    expect(() => readMemoryDeclarations(bytes.subarray(0, bytes.length - 3))).toThrow(WasmBinaryReadError);
  });
});

describe('enforceMemoryLimit', () => {
  it('accepts a maximum equal to the limit', () => {
    const memories = enforceMemoryLimit('test.ext', wat('(module (memory 1 16))'), 1);

    expect(memories).toHaveLength(1);
  });

  it('rejects a maximum one page above the limit', () => {
    expect(() => enforceMemoryLimit('test.ext', wat('(module (memory 1 17))'), 1)).toThrow(WasmModuleRejectedError);
  });

  it('rejects unreadable bytes with the extension id', () => {
    expect(() => enforceMemoryLimit('test.ext', Uint8Array.from([1, 2, 3]), 1)).toThrow(
      "Extension 'test.ext': its module's memory declarations could not be read",
    );
  });

  it('converts MiB to whole pages', () => {
    expect(megabytesToPages(16)).toBe(256);
    expect(megabytesToPages(1.5)).toBe(24);
  });
});
