import { Module } from '@nestjs/common';
import { RegistrationPolicyGate } from './registration-policy-gate.js';
import { RegistrationPolicyService } from './registration-policy.service.js';

@Module({
  providers: [RegistrationPolicyService, { provide: RegistrationPolicyGate, useExisting: RegistrationPolicyService }],
  exports: [RegistrationPolicyGate, RegistrationPolicyService],
})
export class RegistrationPolicyModule {}
