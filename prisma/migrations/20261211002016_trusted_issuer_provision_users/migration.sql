-- ID-JAG just-in-time provisioning, per trusted issuer (issue 16): off unless the tenant turns it on.
ALTER TABLE "trusted_assertion_issuers" ADD COLUMN "provision_users" BOOLEAN NOT NULL DEFAULT false;
