import { Module } from '@nestjs/common';
import type { AuthServerConfig } from '@airlock/config';
import { ClientMetadataResolver } from './client-metadata-resolver.js';
import { AUTH_CONFIG } from '../infra/infra.tokens.js';
import { CLIENT_METADATA_OPTIONS, defaultClientMetadataOptions } from './client-metadata.options.js';
import { ClientMetadataRepository } from './client-metadata.repository.js';
import { ClientMetadataService } from './client-metadata.service.js';
import { HostResolver, SystemHostResolver } from './safe-fetcher.js';

@Module({
  providers: [
    { provide: CLIENT_METADATA_OPTIONS, inject: [AUTH_CONFIG], useFactory: (config: AuthServerConfig) => defaultClientMetadataOptions(config.env) },
    { provide: HostResolver, useClass: SystemHostResolver },
    ClientMetadataRepository,
    ClientMetadataService,
    { provide: ClientMetadataResolver, useExisting: ClientMetadataService },
  ],
  exports: [ClientMetadataResolver, ClientMetadataService],
})
export class ClientMetadataModule {}
