import type { GatewayConfig } from '@airlock/config';
import { closeHttpApp, createHttpApp, listenHttpApp } from '@airlock/http-server';
import type { Logger } from '@airlock/observability';
import type { Infra, StartedApp } from '@airlock/platform';
import { AppModule } from './app.module.js';

export interface StartMcpGatewayOptions {
  config: GatewayConfig;
  infra: Infra;
  logger: Logger;
}

/** Starts the MCP gateway on its port with the shared infra; the launcher and main.ts both call this. */
export async function startMcpGateway({ config, infra, logger }: StartMcpGatewayOptions): Promise<StartedApp> {
  const app = await createHttpApp(AppModule, { name: 'mcp-gateway', http: config.http, logger, readiness: infra.readiness });
  const url = await listenHttpApp(app, { port: config.port, host: config.http.host });
  return {
    name: 'mcp-gateway',
    url,
    banner: [`MCP gateway      ${config.publicUrl}`],
    close: () => closeHttpApp(app),
  };
}
