import { Module } from '@nestjs/common';
import { ConsoleController } from './console.controller.js';

/** Serves the admin web console (apps/admin-console, built) under `/console`. */
@Module({ controllers: [ConsoleController] })
export class ConsoleModule {}
