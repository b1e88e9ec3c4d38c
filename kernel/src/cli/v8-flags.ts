// Sets the V8 flags of a kernel process. Import it before any module that instantiates
// WebAssembly (PGlite, the Prisma query compiler, Extism), because V8 reads the tiering
// budget when it instantiates a module.
import v8 from 'node:v8';

/**
 * V8's budget for tiering a WebAssembly function up from Liftoff to TurboFan, a rough count of
 * bytes executed: 100 times the default of Node 20 (V8 11.3, 1,800,000). With the default,
 * opening PGlite and running the first Prisma query sent so many functions to TurboFan that the
 * process used 1.0 s of CPU and 202 MiB within a second, against 0.49 s and 170 MiB with this
 * budget. A heavy query still reaches its TurboFan speed after a few runs: from its 11th run,
 * an aggregate over 5,000 rows took as long as with the default, within 5 %
 * (bench/probes/wasm-tiering.mjs, 2 CPUs).
 */
export const WASM_TIERING_BUDGET = 180_000_000;

// NOTE: Node documents flag changes after start-up as unsupported in general. This flag is
// read when a module is instantiated, and bench/probes/wasm-tiering.mjs checks that setting it
// here has the effect of passing it on the command line.
v8.setFlagsFromString(`--wasm-tiering-budget=${WASM_TIERING_BUDGET}`);
