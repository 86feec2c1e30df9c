import { Module } from '@nestjs/common';
import { AdminTotpService } from './admin-totp.service.js';

/** TOTP second factor of the `admin` tenant's people: enrolled through the admin API, checked at sign-in. */
@Module({ providers: [AdminTotpService], exports: [AdminTotpService] })
export class AdminTotpModule {}
