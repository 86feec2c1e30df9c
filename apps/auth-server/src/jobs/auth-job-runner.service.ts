import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { Queues } from '@airlock/contracts';
import type { Logger } from '@airlock/observability';
import type { JobOptions, QueueWorker } from '@airlock/queue';
import type { QueueBackend } from '@airlock/queue';
import { LOGGER, QUEUES } from '../infra/infra.tokens.js';

export type AuthJobHandler = (data: unknown, attempt: number) => Promise<void>;

/**
 * The one worker on `Queues.auth`. Two workers on one BullMQ queue would each take jobs the other one
 * handles, so every auth-server job registers its handler here (in its constructor) and this worker
 * dispatches by job name once the app has started.
 */
@Injectable()
export class AuthJobRunner implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly handlers = new Map<string, AuthJobHandler>();
  private worker: QueueWorker | undefined;

  constructor(
    @Inject(QUEUES) private readonly queues: QueueBackend,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  handle(name: string, handler: AuthJobHandler): void {
    if (this.handlers.has(name)) throw new Error(`a handler for ${name} is already registered`);
    this.handlers.set(name, handler);
  }

  enqueue(name: string, data: unknown, options?: JobOptions): Promise<void> {
    return this.queues.enqueue(Queues.auth, name, data, options);
  }

  onApplicationBootstrap(): void {
    this.worker = this.queues.work<unknown>(Queues.auth, async (job) => {
      const handler = this.handlers.get(job.name);
      // An unknown name is a deploy skew (a newer replica's job); retrying it here would never help.
      if (!handler) return void this.logger.warn({ name: job.name }, 'unknown auth job ignored');
      await handler(job.data, job.attempt);
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.worker?.close();
  }
}
