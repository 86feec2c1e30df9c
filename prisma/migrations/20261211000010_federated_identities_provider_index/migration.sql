-- The admin API counts each identity provider's linked users, and deleting a provider cascades to its
-- links: both look federated identities up by provider.
CREATE INDEX "federated_identities_provider_id_idx" ON "federated_identities"("provider_id");
