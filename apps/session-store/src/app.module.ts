import { Module } from '@nestjs/common';
import type { Type } from '@nestjs/common';
import type { CallerAuth } from './auth/caller-auth.js';
import type { SessionsService } from './sessions/sessions.service.js';
import { SessionsModule } from './sessions/sessions.module.js';
import type { StateHandlesService } from './state-handles/state-handles.service.js';
import { StateHandlesModule } from './state-handles/state-handles.module.js';

/** The root module for one started session store (a class per start: its collaborators are per instance). */
export function createAppModule(deps: { sessions: SessionsService; stateHandles: StateHandlesService; auth: CallerAuth }): Type<unknown> {
  @Module({ imports: [SessionsModule.register(deps), StateHandlesModule.register(deps)] })
  class SessionStoreAppModule {}
  return SessionStoreAppModule;
}
