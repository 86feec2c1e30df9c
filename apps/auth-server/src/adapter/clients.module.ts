import { Module } from '@nestjs/common';
import { ClientStore } from './client-store.js';

/** Registered OAuth clients (`oauth_clients`): the oidc-provider adapter loads them, registration and the admin API write them. */
@Module({ providers: [ClientStore], exports: [ClientStore] })
export class ClientsModule {}
