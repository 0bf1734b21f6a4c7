-- +goose Up

-- The summary counts a placement toward its agency's target only while it
-- is not rejected, and shows how far checking has gone: it now counts by
-- verification state too. 00004's two indexes for it gain the state, so
-- the counts stay index-only (see storage/postgres/summary.go).
DROP INDEX placements_agency_sector_year_idx;
CREATE INDEX placements_agency_sector_year_idx ON placements (agency_id, sector, program_year, verification)
    WHERE withdrawn_at IS NULL;
DROP INDEX placements_created_active_idx;
CREATE INDEX placements_created_active_idx ON placements (created_at) INCLUDE (program_year, agency_id, sector, verification)
    WHERE withdrawn_at IS NULL;

-- +goose Down
DROP INDEX placements_created_active_idx;
CREATE INDEX placements_created_active_idx ON placements (created_at) INCLUDE (program_year, agency_id, sector)
    WHERE withdrawn_at IS NULL;
DROP INDEX placements_agency_sector_year_idx;
CREATE INDEX placements_agency_sector_year_idx ON placements (agency_id, sector, program_year)
    WHERE withdrawn_at IS NULL;
