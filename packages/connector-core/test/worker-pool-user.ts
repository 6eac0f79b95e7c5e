/*
 * Preloaded into a WorkerConnector's thread by worker-priority-child: gives libuv's thread pool
 * a job from the worker thread, so that if the pool had not been started yet, the worker thread
 * would be the one to start it (see startThreadPoolHere in src/worker/thread-priority.ts).
 */
import { stat } from 'node:fs';

stat(__filename, () => undefined);
