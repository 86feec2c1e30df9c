import { Global, Inject, Injectable, Module, type DynamicModule } from '@nestjs/common';
import { Counter, type ServiceMetrics } from '@airlock/metrics';

const SERVICE_METRICS = Symbol.for('airlock.auth-server.metrics');

// The grants the token endpoint serves; anything else (a client sending junk) is counted as `other`.
const GRANT_TYPES = new Set([
  'authorization_code',
  'refresh_token',
  'client_credentials',
  'urn:ietf:params:oauth:grant-type:token-exchange',
  'urn:ietf:params:oauth:grant-type:jwt-bearer',
]);

/** The auth server's own series (HTTP ones come from the HTTP layer). */
@Injectable()
export class AuthMetrics {
  private readonly tokens: Counter<'grant_type'>;

  constructor(@Inject(SERVICE_METRICS) metrics: ServiceMetrics) {
    this.tokens = new Counter({
      name: 'airlock_tokens_issued_total',
      help: 'Successful token endpoint grants, by grant type.',
      labelNames: ['grant_type'],
      registers: [metrics.registry],
    });
  }

  tokenIssued(grantType: string | undefined): void {
    this.tokens.labels(grantType && GRANT_TYPES.has(grantType) ? grantType : 'other').inc();
  }
}

@Global()
@Module({})
export class MetricsModule {
  static forRoot(metrics: ServiceMetrics): DynamicModule {
    return { module: MetricsModule, providers: [{ provide: SERVICE_METRICS, useValue: metrics }, AuthMetrics], exports: [AuthMetrics] };
  }
}
