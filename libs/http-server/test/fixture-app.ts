import { Body, Controller, Get, HttpException, Injectable, Module, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { HttpLifecycle } from '../src/index.js';

@Injectable()
export class DrainProbe {
  drained = 0;
  constructor(readonly lifecycle: HttpLifecycle) {
    lifecycle.onDrain(() => {
      this.drained++;
    });
  }
}

@Controller()
export class FixtureController {
  constructor(private readonly probe: DrainProbe) {}

  @Get('hello')
  hello() {
    return { hello: 'world', draining: this.probe.lifecycle.draining };
  }

  @Get('boom')
  boom(): never {
    throw new Error('connect failed for postgresql://app:hunter2@db/airlock');
  }

  /** A handler that takes over the raw response (as server-rendered pages do) and fails before writing. */
  @Get('hijacked-boom')
  async hijackedBoom(@Res() reply: FastifyReply): Promise<void> {
    reply.hijack();
    await Promise.resolve();
    throw new Error('failed after hijack');
  }

  @Get('teapot')
  teapot(): never {
    throw new HttpException({ error: 'invalid_request', error_description: 'short and stout' }, 418);
  }

  @Post('echo')
  echo(@Body() body: unknown) {
    return { received: body };
  }
}

@Module({ controllers: [FixtureController], providers: [DrainProbe] })
export class FixtureModule {}
