import { Module } from '@nestjs/common';
import { AccountStore } from './account-store.js';
import { LoginThrottle } from './login-throttle.js';
import { PasswordHasher } from './password-hasher.js';
import { UserAccountStore } from './user-account-store.js';
import { UserRepository } from './user.repository.js';
import { UsersService } from './users.service.js';

@Module({
  providers: [PasswordHasher, UserRepository, LoginThrottle, UsersService, UserAccountStore, { provide: AccountStore, useExisting: UserAccountStore }],
  exports: [AccountStore, UserRepository, UsersService, LoginThrottle, PasswordHasher],
})
export class UsersModule {}
