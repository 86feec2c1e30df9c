import { Module } from '@nestjs/common';
import { OidcModule } from '../oidc/oidc.module.js';
import { UsersModule } from '../users/users.module.js';
import { BootstrapService } from './bootstrap.service.js';

@Module({ imports: [OidcModule, UsersModule], providers: [BootstrapService], exports: [BootstrapService] })
export class BootstrapModule {}
