import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ConfigError } from './errors.js';

/**
 * Default data folder: `.mify` at the repository root, beside kernel/, so that
 * `npm start` and `npx mify` from any folder of the checkout use the same data.
 * The path is the same from `src/` and `dist/`.
 */
export const DEFAULT_DATA_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../.mify');

const booleanString = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((value) => ['true', '1', 'yes'].includes(value));

const positiveInt = (what: string) =>
  z.string().regex(/^\d+$/, `expected a whole number (${what})`).transform(Number);

/**
 * Environment variables the kernel reads. Each entry carries its unit in the
 * name or in the description; the defaults are the single source of truth.
 */
const envSchema = z.object({
  MIFY_HOST: z.string().min(1).default('127.0.0.1').describe('Interface the HTTP server binds to'),
  MIFY_PORT: positiveInt('TCP port, 0-65535; 0 picks a free port').pipe(z.number().min(0).max(65535)).default(3000),
  MIFY_DATA_DIR: z.string().min(1).optional().describe('Folder for the embedded database, the generated secret key and installed extensions'),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'expected a PostgreSQL URL such as postgresql://user:password@127.0.0.1:5432/mify').optional(),
  MIFY_PGLITE_THREAD: z.enum(['worker', 'main']).default('worker').describe('Where the embedded database runs: worker (a thread of its own, so its statements do not hold the event loop) or main (the kernel thread)'),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'expected a Redis URL such as redis://127.0.0.1:6379').optional(),
  TEMPORAL_ADDRESS: z.string().regex(/^[^\s:]+:\d+$/, 'expected host:port such as 127.0.0.1:7233').optional(),
  MIFY_SECRET_KEY: z.string().regex(/^[0-9a-fA-F]{64}$|^[A-Za-z0-9+/]{43}=$/, 'expected 32 bytes as 64 hex characters or 44 base64 characters; generate one with `openssl rand -hex 32`').optional(),
  MIFY_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  MIFY_BODY_LIMIT_BYTES: positiveInt('bytes').default(1_048_576),
  MIFY_CORS_ORIGINS: z.string().default('').describe('Comma-separated origins allowed by CORS, or * for any; empty disables CORS'),
  MIFY_RATE_LIMIT_IP_PER_MINUTE: positiveInt('requests per minute').default(600),
  MIFY_RATE_LIMIT_KEY_PER_MINUTE: positiveInt('requests per minute').default(1200),
  MIFY_SESSION_TTL_HOURS: positiveInt('hours').default(24 * 14),
  MIFY_SHUTDOWN_TIMEOUT_MS: positiveInt('milliseconds').default(10_000),
  MIFY_TRUST_PROXY: booleanString.default(false).describe('Take the client address from X-Forwarded-For'),
  MIFY_DEMO_RUNNER: booleanString.default(false).describe('Let anonymous callers run starter templates through /api/public-demo-run (extension mify.demo-runner)'),
  MIFY_DEMO_WORKSPACE: z.string().regex(/^[a-z0-9][a-z0-9-]{0,47}$/, 'expected a workspace slug: 1-48 characters of a-z, 0-9 and dashes').default('public-demo').describe('Slug of the workspace, created on first use without members, that runs the demo runs'),
  MIFY_DEMO_DAILY_TOKENS: positiveInt('tokens').default(200_000).describe('Model tokens all demo runs together may use per UTC day; starts past it are rejected'),
  MIFY_DEMO_MIN_TOKENS_PER_RUN: positiveInt('tokens').default(100).describe('Tokens every demo run counts at least, so runs without model calls also count against the daily ceiling'),
  MIFY_COOKIE_SECURE: booleanString.default(false).describe('Mark session cookies Secure (set when served over HTTPS)'),
  MIFY_EXTENSIONS_DIR: z.string().optional().describe('Extra folder of bundled extensions; defaults to extensions/ of the repository'),
  MIFY_WEB_DIR: z.string().optional().describe('Folder of the built studio (SvelteKit adapter-node output)'),
  MIFY_TRUSTED_SIGNING_KEYS: z.string().regex(/^([0-9a-f]{64})?(,[0-9a-f]{64})*$/, 'expected comma-separated SHA-256 fingerprints (64 hex characters) of ed25519 public keys').default('').describe('Fingerprints of the keys whose signed extension packages install without --allow-unsigned'),
  MIFY_ALLOW_UNSIGNED_EXTENSIONS: booleanString.default(false).describe('Install extension packages that are unsigned or signed by an untrusted key'),
  MIFY_REGISTRY_URL: z.url({ protocol: /^https?$/, error: 'expected an http or https URL such as https://registry.example.com' }).optional().describe('Extension registry that `mify ext install <id>@<range>` and registry installs use when they name none'),
  MIFY_REGISTRY_PUBLIC_KEY: z
    .string()
    .regex(/^([0-9a-fA-F]{64}|[A-Za-z0-9+/]+={0,2})$/, 'expected the hex SHA-256 fingerprint (64 characters) or the base64 SPKI DER ed25519 public key that GET /api/registry/keys returns')
    .optional()
    .describe('Pinned signing key of the registry; unset pins the key a registry reports on the first install from it (stored in MIFY_DATA_DIR/registry-keys.json)'),
  MIFY_REGISTRY_MOUNT: booleanString.default(false).describe('Serve the extension registry from this kernel under /api/registry (needs the registry built: pnpm --filter @mify/registry build)'),
  MIFY_REGISTRY_ADMIN_TOKEN: z.string().min(16, 'expected at least 16 characters').optional().describe('Admin token of the mounted registry, which may create publisher tokens (POST /api/registry/tokens)'),
  MIFY_ALLOW_PRIVATE_NETWORK: booleanString.default(false).describe('Let extensions fetch loopback, private and link-local addresses'),
  MIFY_HTTP_MAX_RESPONSE_BYTES: positiveInt('bytes').default(10 * 1024 * 1024).describe('Largest response body an extension may fetch'),
  MIFY_HTTP_TIMEOUT_MS: positiveInt('milliseconds').default(30_000).describe('Time limit of one extension HTTP request'),
  MIFY_RUN_MAX_ITEMS_PER_STEP: positiveInt('items').pipe(z.number().min(1)).default(100_000).describe('Most items that may reach one node activation; a step past it fails. Items are JSON in the kernel heap plus one copy in the node sandbox'),
  MIFY_RUN_MAX_STEP_INPUT_BYTES: positiveInt('bytes').pipe(z.number().min(1024)).default(256 * 1024 * 1024).describe('Largest estimated JSON size of the input of one node activation, in bytes; a step past it fails'),
  MIFY_RUN_MAX_CONCURRENT_PER_WORKSPACE: positiveInt('runs').pipe(z.number().min(1)).default(20).describe('Top-level runs in progress (running, waiting or paused) at once per workspace, across all kernel processes on the database; more runs wait in the queue'),
  MIFY_TEMPORAL_NAMESPACE: z.string().min(1).default('default').describe('Temporal namespace of the run workflows'),
  MIFY_TEMPORAL_TASK_QUEUE: z.string().min(1).default('mify-runs').describe('Temporal task queue that kernel processes and `mify worker` poll for run workflows and node activities'),
  MIFY_TEMPORAL_WORKER: z.enum(['on', 'off']).default('on').describe('on: the kernel process also runs a Temporal worker; off: only `mify worker` processes execute runs'),
  MIFY_TEMPORAL_HEARTBEAT_TIMEOUT_MS: positiveInt('milliseconds').pipe(z.number().min(1_000)).default(30_000).describe('Time without a heartbeat after which Temporal considers a node activity lost (its worker died) and runs it again'),
  MIFY_TEMPORAL_MAX_PAYLOAD_BYTES: positiveInt('bytes').pipe(z.number().min(1024)).default(2_000_000).describe('Largest JSON of the items one node activation sends to or receives from Temporal, in bytes; a larger one fails with a clear error. Temporal rejects payloads over 2 MiB by default (server setting limit.blobSize.error)'),
  MIFY_RUN_BACKEND: z.enum(['embedded', 'temporal', 'memory']).optional().describe('Durable run back end: embedded (journal in the database), temporal (needs TEMPORAL_ADDRESS) or memory (no durability; runs in flight are lost when the kernel stops). Default: temporal when TEMPORAL_ADDRESS is set, else embedded'),
  MIFY_RUN_LEASE_MS: positiveInt('milliseconds').pipe(z.number().min(500)).default(30_000).describe('How long a kernel process holds a run it executes without renewing its claim; after a crash, another process (or the restarted one) resumes the run once the claim has lapsed'),
  MIFY_RUN_POLL_MS: positiveInt('milliseconds').pipe(z.number().min(50)).default(1_000).describe('How often each kernel process looks for queued, due and abandoned runs of the embedded back end'),
  MIFY_RUN_MAX_PER_PROCESS: positiveInt('runs').pipe(z.number().min(1)).default(200).describe('Runs one kernel process executes at once; more stay queued for other processes'),
  MIFY_RUN_INLINE_WAIT_MS: z.coerce.number().int().min(0).default(5_000).describe('Timers this short (in milliseconds) wait inside the process; longer waits suspend the run and free the process'),
  MIFY_MEMORY_TRIM_INTERVAL_MS: z.coerce.number().int().min(0).default(5_000).describe('How often `mify start` checks whether it is idle and then shrinks its heap and returns memory the C allocator freed to the system (glibc only), in milliseconds; 0 turns this off'),
  MIFY_SCHEDULE_POLL_MS: positiveInt('milliseconds').pipe(z.number().min(100)).default(1_000).describe('How often each kernel process looks for due schedules; a schedule fires up to this late'),
  MIFY_RUN_MAX_SUBWORKFLOW_DEPTH: positiveInt('levels').pipe(z.number().min(1)).default(10).describe('Deepest nesting of sub-workflow runs below a top-level run'),
  MIFY_RUN_RECORD_MAX_BYTES: positiveInt('bytes').default(16 * 1024 * 1024).describe('Largest JSON of a step input or output that an audited run records in full, in bytes; larger ones are recorded as a preview'),
  MIFY_CACHE_MAX_OUTPUT_BYTES: positiveInt('bytes').default(5 * 1024 * 1024).describe('Largest JSON of one node output that partial execution caches, in bytes; a larger output is flagged oversized and the node runs again next time'),
  MIFY_CACHE_MAX_WORKSPACE_BYTES: positiveInt('bytes').default(500 * 1024 * 1024).describe('Total JSON size of the cached node outputs of one workspace, in bytes; past it the least recently used outputs are evicted'),
});

export type Env = z.input<typeof envSchema>;

export interface KernelConfig {
  host: string;
  port: number;
  dataDir: string;
  databaseUrl: string | undefined;
  /** Thread of the embedded database when no DATABASE_URL is set. */
  pgliteThread: 'worker' | 'main';
  redisUrl: string | undefined;
  temporalAddress: string | undefined;
  secretKey: string | undefined;
  logLevel: string;
  bodyLimitBytes: number;
  corsOrigins: string[];
  rateLimitIpPerMinute: number;
  rateLimitKeyPerMinute: number;
  sessionTtlHours: number;
  shutdownTimeoutMs: number;
  trustProxy: boolean;
  cookieSecure: boolean;
  extensionsDir: string | undefined;
  webDir: string | undefined;
  trustedSigningKeys: string[];
  allowUnsignedExtensions: boolean;
  /** Extension registry; see the MIFY_REGISTRY_* variables. */
  registryUrl: string | undefined;
  registryPublicKey: string | undefined;
  registryMount: boolean;
  registryAdminToken: string | undefined;
  allowPrivateNetwork: boolean;
  httpMaxResponseBytes: number;
  httpTimeoutMs: number;
  /** Limits of graph runs; see the MIFY_RUN_* variables. */
  runMaxItemsPerStep: number;
  runMaxStepInputBytes: number;
  runMaxConcurrentPerWorkspace: number;
  /** Durable run back end; see MIFY_RUN_BACKEND. */
  runBackend: 'embedded' | 'temporal' | 'memory';
  /** Temporal back end; see the MIFY_TEMPORAL_* variables. */
  temporalNamespace: string;
  temporalTaskQueue: string;
  temporalWorker: boolean;
  temporalHeartbeatTimeoutMs: number;
  temporalMaxPayloadBytes: number;
  runLeaseMs: number;
  runPollMs: number;
  runMaxPerProcess: number;
  runInlineWaitMs: number;
  /** The public demo runner, from MIFY_DEMO_*. */
  demoRunner: { enabled: boolean; workspaceSlug: string; dailyTokens: number; minTokensPerRun: number };
  runMaxSubworkflowDepth: number;
  /** Poll interval of the schedule ticker; see MIFY_SCHEDULE_POLL_MS. */
  schedulePollMs: number;
  /** Interval of the idle memory trim of `mify start`; 0 when off. See MIFY_MEMORY_TRIM_INTERVAL_MS. */
  memoryTrimIntervalMs: number;
  runRecordMaxBytes: number;
  /** Limits of the node-output cache of partial execution; see the MIFY_CACHE_* variables. */
  cacheMaxOutputBytes: number;
  cacheMaxWorkspaceBytes: number;
}

/**
 * Parses the kernel configuration from environment variables.
 * Throws a `ConfigError` that names every invalid variable and its expected form.
 *
 * @example
 * const config = loadConfig({ MIFY_PORT: '8080' });
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): KernelConfig {
  const relevant: Record<string, string> = {};
  for (const key of Object.keys(envSchema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') relevant[key] = value;
  }

  const parsed = envSchema.safeParse(relevant);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const variable = String(issue.path[0] ?? '');
      const received = relevant[variable];
      const shown = variable === 'MIFY_SECRET_KEY' || variable === 'MIFY_REGISTRY_ADMIN_TOKEN' || variable === 'DATABASE_URL' || variable === 'REDIS_URL' ? '(hidden)' : JSON.stringify(received);
      return { variable, message: `${variable}=${shown} is invalid: ${issue.message}` };
    });
    throw new ConfigError(`Invalid configuration:\n${problems.map((p) => `  - ${p.message}`).join('\n')}`, problems);
  }

  const e = parsed.data;
  if (e.MIFY_RUN_BACKEND === 'temporal' && !e.TEMPORAL_ADDRESS) {
    const message = 'MIFY_RUN_BACKEND=temporal needs TEMPORAL_ADDRESS: set it to the Temporal frontend (host:port such as 127.0.0.1:7233), or choose MIFY_RUN_BACKEND=embedded';
    throw new ConfigError(`Invalid configuration:\n  - ${message}`, [{ variable: 'TEMPORAL_ADDRESS', message }]);
  }
  return {
    host: e.MIFY_HOST,
    port: e.MIFY_PORT,
    dataDir: e.MIFY_DATA_DIR ? path.resolve(e.MIFY_DATA_DIR) : DEFAULT_DATA_DIR,
    databaseUrl: e.DATABASE_URL,
    pgliteThread: e.MIFY_PGLITE_THREAD,
    redisUrl: e.REDIS_URL,
    temporalAddress: e.TEMPORAL_ADDRESS,
    secretKey: e.MIFY_SECRET_KEY,
    logLevel: e.MIFY_LOG_LEVEL,
    bodyLimitBytes: e.MIFY_BODY_LIMIT_BYTES,
    corsOrigins: e.MIFY_CORS_ORIGINS.split(',').map((o) => o.trim()).filter(Boolean),
    rateLimitIpPerMinute: e.MIFY_RATE_LIMIT_IP_PER_MINUTE,
    rateLimitKeyPerMinute: e.MIFY_RATE_LIMIT_KEY_PER_MINUTE,
    sessionTtlHours: e.MIFY_SESSION_TTL_HOURS,
    shutdownTimeoutMs: e.MIFY_SHUTDOWN_TIMEOUT_MS,
    trustProxy: e.MIFY_TRUST_PROXY,
    cookieSecure: e.MIFY_COOKIE_SECURE,
    extensionsDir: e.MIFY_EXTENSIONS_DIR ? path.resolve(e.MIFY_EXTENSIONS_DIR) : undefined,
    webDir: e.MIFY_WEB_DIR ? path.resolve(e.MIFY_WEB_DIR) : undefined,
    trustedSigningKeys: e.MIFY_TRUSTED_SIGNING_KEYS.split(',').filter(Boolean),
    allowUnsignedExtensions: e.MIFY_ALLOW_UNSIGNED_EXTENSIONS,
    registryUrl: e.MIFY_REGISTRY_URL,
    registryPublicKey: e.MIFY_REGISTRY_PUBLIC_KEY,
    registryMount: e.MIFY_REGISTRY_MOUNT,
    registryAdminToken: e.MIFY_REGISTRY_ADMIN_TOKEN,
    allowPrivateNetwork: e.MIFY_ALLOW_PRIVATE_NETWORK,
    httpMaxResponseBytes: e.MIFY_HTTP_MAX_RESPONSE_BYTES,
    httpTimeoutMs: e.MIFY_HTTP_TIMEOUT_MS,
    runMaxItemsPerStep: e.MIFY_RUN_MAX_ITEMS_PER_STEP,
    runMaxStepInputBytes: e.MIFY_RUN_MAX_STEP_INPUT_BYTES,
    runMaxConcurrentPerWorkspace: e.MIFY_RUN_MAX_CONCURRENT_PER_WORKSPACE,
    runBackend: e.MIFY_RUN_BACKEND ?? (e.TEMPORAL_ADDRESS ? 'temporal' : 'embedded'),
    temporalNamespace: e.MIFY_TEMPORAL_NAMESPACE,
    temporalTaskQueue: e.MIFY_TEMPORAL_TASK_QUEUE,
    temporalWorker: e.MIFY_TEMPORAL_WORKER === 'on',
    temporalHeartbeatTimeoutMs: e.MIFY_TEMPORAL_HEARTBEAT_TIMEOUT_MS,
    temporalMaxPayloadBytes: e.MIFY_TEMPORAL_MAX_PAYLOAD_BYTES,
    runLeaseMs: e.MIFY_RUN_LEASE_MS,
    runPollMs: e.MIFY_RUN_POLL_MS,
    runMaxPerProcess: e.MIFY_RUN_MAX_PER_PROCESS,
    runInlineWaitMs: e.MIFY_RUN_INLINE_WAIT_MS,
    demoRunner: { enabled: e.MIFY_DEMO_RUNNER, workspaceSlug: e.MIFY_DEMO_WORKSPACE, dailyTokens: e.MIFY_DEMO_DAILY_TOKENS, minTokensPerRun: e.MIFY_DEMO_MIN_TOKENS_PER_RUN },
    runMaxSubworkflowDepth: e.MIFY_RUN_MAX_SUBWORKFLOW_DEPTH,
    schedulePollMs: e.MIFY_SCHEDULE_POLL_MS,
    memoryTrimIntervalMs: e.MIFY_MEMORY_TRIM_INTERVAL_MS,
    runRecordMaxBytes: e.MIFY_RUN_RECORD_MAX_BYTES,
    cacheMaxOutputBytes: e.MIFY_CACHE_MAX_OUTPUT_BYTES,
    cacheMaxWorkspaceBytes: e.MIFY_CACHE_MAX_WORKSPACE_BYTES,
  };
}

/** Lists the variables with their descriptions, for `mify --help`. */
export function describeEnvironment(): Array<{ name: string; description: string }> {
  return Object.entries(envSchema.shape).map(([name, schema]) => {
    const description = (schema as z.ZodType).description ?? DESCRIPTIONS[name] ?? '';
    const fallback = (schema as unknown as { _zod?: { def?: { defaultValue?: unknown } } })._zod?.def?.defaultValue;
    const defaultValue = name === 'MIFY_DATA_DIR' ? DEFAULT_DATA_DIR : fallback;
    const suffix = defaultValue === undefined || defaultValue === '' ? '' : ` (default ${String(defaultValue)})`;
    return { name, description: `${description}${suffix}` };
  });
}

/** Help text of the variables whose schema carries no description. */
const DESCRIPTIONS: Record<string, string> = {
  MIFY_PORT: 'TCP port of the HTTP server; 0 picks a free one',
  DATABASE_URL: 'PostgreSQL server to use instead of the embedded database (pgvector needed for vector features)',
  REDIS_URL: 'Redis server for cache, rate limits, pub/sub and locks shared by several kernel processes; unset keeps them in this process',
  TEMPORAL_ADDRESS: 'Temporal frontend (host:port) for the Temporal run back end',
  MIFY_SECRET_KEY: 'Key that encrypts stored credentials; unset generates one into MIFY_DATA_DIR/secret.key',
  MIFY_LOG_LEVEL: 'Log level: fatal, error, warn, info, debug, trace or silent',
  MIFY_BODY_LIMIT_BYTES: 'Largest request body, in bytes',
  MIFY_CORS_ORIGINS: 'Comma-separated origins allowed by CORS, or * for any; empty disables CORS',
  MIFY_RATE_LIMIT_IP_PER_MINUTE: 'Requests per minute allowed per client address without an API key',
  MIFY_RATE_LIMIT_KEY_PER_MINUTE: 'Requests per minute allowed per API key',
  MIFY_SESSION_TTL_HOURS: 'Lifetime of a browser session, in hours',
  MIFY_SHUTDOWN_TIMEOUT_MS: 'Time in-flight requests get to finish at shutdown, in milliseconds',
};
