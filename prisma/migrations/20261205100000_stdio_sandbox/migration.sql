-- stdio upstreams run sandboxed unless opted out; extra read-only paths bound into their sandbox.
ALTER TABLE "upstream_servers" ADD COLUMN "sandbox" BOOLEAN NOT NULL DEFAULT true;
ALTER TABLE "upstream_servers" ADD COLUMN "read_only_paths" TEXT[] DEFAULT ARRAY[]::TEXT[];
