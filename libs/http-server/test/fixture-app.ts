import { Body, Controller, Get, HttpException, Injectable, Module, Post } from '@nestjs/common';
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
