import type { AuthServerConfig } from '@airlock/config';
import { closeHttpApp, createHttpApp, listenHttpApp } from '@airlock/http-server';
import type { Logger } from '@airlock/observability';
import type { Infra, StartedApp } from '@airlock/platform';
import { AppModule } from './app.module.js';

export interface StartAuthServerOptions {
  config: AuthServerConfig;
  infra: Infra;
  logger: Logger;
}

/** Starts the auth server on its port with the shared infra; the launcher and main.ts both call this. */
export async function startAuthServer({ config, infra, logger }: StartAuthServerOptions): Promise<StartedApp> {
  const app = await createHttpApp(AppModule, { name: 'auth-server', http: config.http, logger, readiness: infra.readiness });
  const url = await listenHttpApp(app, { port: config.port, host: config.http.host });
  return {
    name: 'auth-server',
    url,
    banner: [`auth server      ${config.publicUrl}`],
    close: () => closeHttpApp(app),
  };
}
