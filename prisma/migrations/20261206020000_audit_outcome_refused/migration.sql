-- A call the gateway refused (rate limit, scope, unknown tool, upstream unavailable) is audited as such.
ALTER TYPE "AuditOutcome" ADD VALUE IF NOT EXISTS 'refused';
