import { Module } from '@nestjs/common';
import { SigningKeyRepository } from './signing-key.repository.js';

/** Per-tenant signing keys: the provider registry signs with them, the admin API lists and rotates them. */
@Module({ providers: [SigningKeyRepository], exports: [SigningKeyRepository] })
export class KeysModule {}
