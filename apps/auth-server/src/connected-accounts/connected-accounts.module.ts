import { Module } from '@nestjs/common';
import { ConnectedAccountsService } from './connected-accounts.service.js';

/** Connected accounts' storage, client discovery and revocation (the connect page lives in AccountModule). */
@Module({
  providers: [ConnectedAccountsService],
  exports: [ConnectedAccountsService],
})
export class ConnectedAccountsModule {}
