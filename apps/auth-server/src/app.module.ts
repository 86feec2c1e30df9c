import { Module } from '@nestjs/common';

/** The auth server's root module. A minimal placeholder written by the http engineer so the launcher runs; the app's contexts are imported here. */
@Module({})
export class AppModule {}
