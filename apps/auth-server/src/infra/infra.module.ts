import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { AuthServerConfig } from '@airlock/config';
import type { Logger } from '@airlock/observability';
import type { Infra } from '@airlock/platform';
import { AUTH_CONFIG, EMBEDDED_DATABASE, HOT_STORE, LOGGER, MASTER_KEY, PG_POOL, QUEUES } from './infra.tokens.js';

// One global module per concern. Each is built per start (tests run several servers in one process),
// and a class injects only the tokens it uses, never the whole Infra.

@Global()
@Module({})
export class DatabaseModule {
  static forRoot(infra: Pick<Infra, 'pg' | 'embedded'>): DynamicModule {
    return {
      module: DatabaseModule,
      providers: [
        { provide: PG_POOL, useValue: infra.pg },
        { provide: EMBEDDED_DATABASE, useValue: infra.embedded.database },
      ],
      exports: [PG_POOL, EMBEDDED_DATABASE],
    };
  }
}

@Global()
@Module({})
export class HotStoreModule {
  static forRoot(infra: Pick<Infra, 'hot'>): DynamicModule {
    return { module: HotStoreModule, providers: [{ provide: HOT_STORE, useValue: infra.hot }], exports: [HOT_STORE] };
  }
}

@Global()
@Module({})
export class QueuesModule {
  static forRoot(infra: Pick<Infra, 'queues'>): DynamicModule {
    return { module: QueuesModule, providers: [{ provide: QUEUES, useValue: infra.queues }], exports: [QUEUES] };
  }
}

@Global()
@Module({})
export class MasterKeyModule {
  static forRoot(infra: Pick<Infra, 'masterKey'>): DynamicModule {
    return { module: MasterKeyModule, providers: [{ provide: MASTER_KEY, useValue: infra.masterKey }], exports: [MASTER_KEY] };
  }
}

@Global()
@Module({})
export class AuthConfigModule {
  static forRoot(config: AuthServerConfig): DynamicModule {
    return { module: AuthConfigModule, providers: [{ provide: AUTH_CONFIG, useValue: config }], exports: [AUTH_CONFIG] };
  }
}

@Global()
@Module({})
export class LoggerModule {
  static forRoot(logger: Logger): DynamicModule {
    return { module: LoggerModule, providers: [{ provide: LOGGER, useValue: logger }], exports: [LOGGER] };
  }
}
