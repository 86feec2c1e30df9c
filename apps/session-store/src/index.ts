import type { SessionStoreConfig } from '@airlock/config';
import { closeHttpApp, createHttpApp, listenHttpApp } from '@airlock/http-server';
import type { Logger } from '@airlock/observability';
import type { Infra, StartedApp } from '@airlock/platform';
import { AppModule } from './app.module.js';

export interface StartSessionStoreOptions {
  config: SessionStoreConfig;
  infra: Infra;
  logger: Logger;
}

/** Starts the session store on its port with the shared infra; the launcher and main.ts both call this. */
export async function startSessionStore({ config, infra, logger }: StartSessionStoreOptions): Promise<StartedApp> {
  const app = await createHttpApp(AppModule, { name: 'session-store', http: config.http, logger, readiness: infra.readiness });
  const url = await listenHttpApp(app, { port: config.port, host: config.http.host });
  return {
    name: 'session-store',
    url,
    banner: [`session store    ${config.publicUrl}`],
    close: () => closeHttpApp(app),
  };
}
