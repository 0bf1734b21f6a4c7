-- +goose Up

-- Whether the person placed is covered by social insurance: the national
-- system cross-checks registered jobs against insurance records. Records
-- made before the question was asked are 'unknown'.
ALTER TABLE placements ADD COLUMN insurance text NOT NULL DEFAULT 'unknown'
    CHECK (insurance IN ('insured', 'uninsured', 'unknown'));

-- +goose Down

ALTER TABLE placements DROP COLUMN insurance;
