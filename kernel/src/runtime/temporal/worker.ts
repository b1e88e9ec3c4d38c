import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, NativeConnection, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Logger } from '../../logger.js';
import type { RunActivities } from './contract.js';
import { temporalLogger } from './logging.js';

export interface RunWorkerOptions {
  /** Temporal frontend, host:port. */
  address: string;
  namespace: string;
  taskQueue: string;
  activities: RunActivities;
  logger: Logger;
}

/** A Temporal worker polling the run task queue, with an explicit shutdown. */
export interface RunWorker {
  /** Settles when the worker has stopped; rejects when it stopped on an error. */
  readonly done: Promise<void>;
  /** Stops polling, lets activities in progress finish for up to 5 s, then cancels them, and closes the connection. */
  shutdown(): Promise<void>;
}

let bundle: Promise<WorkflowBundleWithSourceMap> | null = null;

/** Bundles the run workflow once per process; the bundle takes a few seconds to build. */
function workflowBundle(logger: Logger): Promise<WorkflowBundleWithSourceMap> {
  if (!bundle) {
    const here = path.dirname(fileURLToPath(import.meta.url));
    // workflow.js in the built kernel, workflow.ts when the sources run directly (tests, tsx).
    const workflowsPath = ['workflow.js', 'workflow.ts'].map((name) => path.join(here, name)).find((file) => fs.existsSync(file));
    if (!workflowsPath) throw new Error(`the run workflow module is missing from ${here}; rebuild the kernel`);
    bundle = bundleWorkflowCode({ workflowsPath, logger: temporalLogger(logger.child({ component: 'temporal-bundler' }), 'warn') });
    bundle.catch(() => {
      bundle = null;
    });
  }
  return bundle;
}

let runtimeInstalled = false;

/** Routes the Temporal SDK's own logs to pino, at warn level and above. Runtime.install works once per process. */
function installRuntime(logger: Logger): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: temporalLogger(logger.child({ component: 'temporal' }), 'warn') });
  } catch (error) {
    logger.debug({ err: error }, 'the Temporal runtime was already installed; keeping its logger');
  }
}

/**
 * Starts a worker for run workflows and node activities on `taskQueue`.
 *
 * @example
 * const worker = await startRunWorker({ address: '127.0.0.1:7233', namespace: 'default', taskQueue: 'mify-runs', activities, logger });
 * await worker.shutdown();
 */
export async function startRunWorker(options: RunWorkerOptions): Promise<RunWorker> {
  const log = options.logger.child({ component: 'temporal-worker', taskQueue: options.taskQueue });
  installRuntime(options.logger);
  const workflowCode = await workflowBundle(options.logger);
  const connection = await NativeConnection.connect({ address: options.address });

  let worker: Worker;
  try {
    worker = await Worker.create({
      connection,
      namespace: options.namespace,
      taskQueue: options.taskQueue,
      workflowBundle: workflowCode,
      activities: options.activities,
      shutdownGraceTime: '5 seconds',
    });
  } catch (error) {
    await connection.close().catch(() => {});
    throw error;
  }

  const done = worker.run().finally(() => connection.close().catch((error: unknown) => log.warn({ err: error }, 'could not close the worker connection')));
  done.catch((error: unknown) => log.error({ err: error }, 'Temporal worker stopped on an error'));
  log.info({ address: options.address, namespace: options.namespace }, 'Temporal worker started');

  return {
    done,
    async shutdown() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done.catch(() => {});
      log.info('Temporal worker stopped');
    },
  };
}
