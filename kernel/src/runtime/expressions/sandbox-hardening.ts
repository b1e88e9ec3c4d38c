/**
 * Source of a script that locks down a fresh context before any expression runs, evaluated
 * by the bootstrap once its own references to built-ins are taken. It:
 * - removes `SharedArrayBuffer`, `Atomics`, `WebAssembly`, `WeakRef` and
 *   `FinalizationRegistry`, so no code can block without using CPU (`Atomics.wait`) or
 *   schedule code that runs during a later evaluation;
 * - removes RegExp's legacy static properties (`RegExp.$1`, `RegExp.lastMatch`, …), which
 *   would show one expression's last match to the next;
 * - freezes the global object and every object reachable from it or from the intrinsics
 *   that only instances lead to (generator, async and iterator prototypes), so no
 *   expression can change what a later one reads.
 *
 * The source is a plain string, so no transpiler can add helper calls that do not exist
 * inside the isolate.
 */
export const SANDBOX_HARDENING_SOURCE = String.raw`
(function harden(global) {
  'use strict';

  for (const name of ['SharedArrayBuffer', 'Atomics', 'WebAssembly', 'WeakRef', 'FinalizationRegistry']) {
    delete global[name];
  }
  for (const key of Object.getOwnPropertyNames(RegExp)) {
    if (key !== 'length' && key !== 'name' && key !== 'prototype') delete RegExp[key];
  }

  function freezeReachable(roots) {
    const seen = new Set();
    const stack = [...roots];
    while (stack.length > 0) {
      const value = stack.pop();
      if ((typeof value !== 'object' && typeof value !== 'function') || value === null || seen.has(value)) continue;
      seen.add(value);
      Object.freeze(value);
      stack.push(Object.getPrototypeOf(value));
      for (const key of Reflect.ownKeys(value)) {
        const descriptor = Object.getOwnPropertyDescriptor(value, key);
        if (descriptor === undefined) continue;
        if ('value' in descriptor) stack.push(descriptor.value);
        else stack.push(descriptor.get, descriptor.set);
      }
    }
  }

  // Intrinsics that no global property leads to, found through instances.
  const hiddenRoots = [
    function* () {},
    async function () {},
    async function* () {},
    [][Symbol.iterator](),
    ''[Symbol.iterator](),
    new Map()[Symbol.iterator](),
    new Set()[Symbol.iterator](),
    /a/[Symbol.matchAll](''),
    (function* () {})(),
    (async function* () {})(),
  ];
  if (typeof Intl === 'object' && typeof Intl.Segmenter === 'function') {
    const segments = new Intl.Segmenter().segment('a');
    hiddenRoots.push(segments, segments[Symbol.iterator]());
  }
  freezeReachable([global, ...hiddenRoots]);
})(globalThis);
`;
