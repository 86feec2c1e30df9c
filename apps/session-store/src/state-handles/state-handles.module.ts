import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { CallerAuth } from '../auth/caller-auth.js';
import { StateHandlesController } from './state-handles.controller.js';
import { StateHandlesService } from './state-handles.service.js';

/** The state-handles context over HTTP; its collaborators are built in `startSessionStore` and handed in. */
@Module({})
export class StateHandlesModule {
  static register(deps: { stateHandles: StateHandlesService; auth: CallerAuth }): DynamicModule {
    return {
      module: StateHandlesModule,
      controllers: [StateHandlesController],
      providers: [
        { provide: StateHandlesService, useValue: deps.stateHandles },
        { provide: CallerAuth, useValue: deps.auth },
      ],
    };
  }
}
