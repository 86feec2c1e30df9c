export { databaseEndpoint, databaseUnavailable, DatabaseUnavailableError } from './database-errors.js';
export { createPgPool } from './pg-pool.js';
export type { PgPoolOptions } from './pg-pool.js';
export { createPrismaClient } from './prisma-client.js';
export type { PrismaClientOptions } from './prisma-client.js';
export { startEmbeddedPostgres } from './embedded-postgres.js';
export type { EmbeddedPostgres, EmbeddedPostgresOptions } from './embedded-postgres.js';
export { migrate, MigrationError } from './migrations/migrate.js';
export type { MigrateOptions, MigrationLogger } from './migrations/migrate.js';
export { checksumMatches, MigrationFilesError, migrationsFingerprint, readMigrationFiles } from './migrations/migration-files.js';
export type { MigrationFile } from './migrations/migration-files.js';
export { defaultMigrationsDir } from './paths.js';
export { PrismaClient, Prisma } from './generated/prisma/client.js';
export type {
  AuditEvent,
  Consent,
  OAuthClient,
  OidcArtifact,
  RevokedGrant,
  Session,
  SigningKey,
  Tenant,
  Tool,
  UpstreamServer,
  User,
} from './generated/prisma/client.js';
export { AuditOutcome, ClientKind, RegistrationPolicy, SessionKind, SessionState, SigningKeyState, UpstreamTransport } from './generated/prisma/enums.js';
