import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { CallerAuth } from '../auth/caller-auth.js';
import { SessionsController } from './sessions.controller.js';
import { SessionsService } from './sessions.service.js';

/** The sessions context over HTTP; its collaborators are built in `startSessionStore` and handed in. */
@Module({})
export class SessionsModule {
  static register(deps: { sessions: SessionsService; auth: CallerAuth }): DynamicModule {
    return {
      module: SessionsModule,
      controllers: [SessionsController],
      providers: [
        { provide: SessionsService, useValue: deps.sessions },
        { provide: CallerAuth, useValue: deps.auth },
      ],
    };
  }
}
