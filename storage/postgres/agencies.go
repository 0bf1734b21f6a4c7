package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"github.com/rasad-gov/rasad/domain"
)

const agencyColumns = `id, code, name_fa, name_en, active`

func scanAgency(row pgx.Row) (domain.Agency, error) {
	var a domain.Agency
	err := row.Scan(&a.ID, &a.Code, &a.NameFa, &a.NameEn, &a.Active)
	return a, err
}

// UpsertAgencies inserts or updates agencies by code, all in one transaction
// so a failed import changes nothing, and counts what changed: rows that
// were already as given count as neither inserted nor updated. Name and
// Active are stored as given (domain.NewAgency sets Active); agencies
// missing from as are left alone.
func (db *DB) UpsertAgencies(ctx context.Context, as []domain.Agency) (inserted, updated int, err error) {
	err = db.inTx(ctx, func(tx pgx.Tx) error {
		for _, a := range as {
			if err := checkAgency(a.Code, a.NameFa); err != nil {
				return err
			}
			// xmax is 0 for a row version this statement inserted and the
			// locking transaction's id for one it updated. The WHERE skips
			// unchanged rows, which then return nothing.
			var wasInsert bool
			err := tx.QueryRow(ctx, `
				INSERT INTO agencies (code, name_fa, name_en, active)
				VALUES ($1, $2, $3, $4)
				ON CONFLICT (code) DO UPDATE SET
					name_fa    = EXCLUDED.name_fa,
					name_en    = EXCLUDED.name_en,
					active     = EXCLUDED.active,
					updated_at = now()
				WHERE (agencies.name_fa, agencies.name_en, agencies.active)
				      IS DISTINCT FROM (EXCLUDED.name_fa, EXCLUDED.name_en, EXCLUDED.active)
				RETURNING xmax = 0`,
				a.Code, a.NameFa, a.NameEn, a.Active).Scan(&wasInsert)
			switch {
			case errors.Is(err, pgx.ErrNoRows):
			case err != nil:
				return fmt.Errorf("agency %q: %w", a.Code, err)
			case wasInsert:
				inserted++
			default:
				updated++
			}
		}
		return nil
	})
	if err != nil {
		return 0, 0, wrap("upsert agencies", err)
	}
	return inserted, updated, nil
}

// CreateAgency stores a new agency and returns it with its id, or a Conflict
// "agency.exists" error if its code is taken by another agency. An agency
// with the same code and the same names is this one, submitted again (an
// admin's confirm delivered twice): it is returned as stored, nil error.
func (db *DB) CreateAgency(ctx context.Context, a domain.Agency) (domain.Agency, error) {
	if err := checkAgency(a.Code, a.NameFa); err != nil {
		return domain.Agency{}, err
	}
	err := db.pool.QueryRow(ctx, `
		INSERT INTO agencies (code, name_fa, name_en, active) VALUES ($1, $2, $3, $4)
		RETURNING id`,
		a.Code, a.NameFa, a.NameEn, a.Active).Scan(&a.ID)
	if code, _ := pgError(err); code == codeUniqueViolation {
		// The insert waited for the holder of the code to commit: a new
		// statement sees it.
		held, heldErr := scanAgency(db.pool.QueryRow(ctx, `SELECT `+agencyColumns+` FROM agencies WHERE code = $1`, a.Code))
		if heldErr == nil && held.NameFa == a.NameFa && held.NameEn == a.NameEn {
			return held, nil
		}
		if heldErr != nil && !errors.Is(heldErr, pgx.ErrNoRows) {
			return domain.Agency{}, fmt.Errorf("postgres: create agency: %w", heldErr)
		}
		return domain.Agency{}, domain.Wrap(domain.KindConflict, "agency.exists", err)
	}
	if err != nil {
		return domain.Agency{}, fmt.Errorf("postgres: create agency: %w", err)
	}
	return a, nil
}

// RenameAgency replaces agency id's names, or returns NotFound
// "agency.notfound".
func (db *DB) RenameAgency(ctx context.Context, id int64, nameFa, nameEn string) error {
	if nameFa == "" {
		return domain.Invalid("agency.name")
	}
	tag, err := db.pool.Exec(ctx, `
		UPDATE agencies SET name_fa = $2, name_en = $3, updated_at = now() WHERE id = $1`,
		id, nameFa, nameEn)
	if err != nil {
		return fmt.Errorf("postgres: rename agency: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return domain.NotFound("agency.notfound")
	}
	return nil
}

// Agencies returns the active agencies in Persian alphabetical order.
func (db *DB) Agencies(ctx context.Context) ([]domain.Agency, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+agencyColumns+` FROM agencies WHERE active`)
	if err != nil {
		return nil, fmt.Errorf("postgres: agencies: %w", err)
	}
	as, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (domain.Agency, error) {
		return scanAgency(row)
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: agencies: %w", err)
	}
	// Sorted here rather than in SQL so as not to depend on the server
	// having ICU: in code point order پ چ ژ گ would follow ی. A collator is
	// not safe for concurrent use, hence one per call.
	c := collate.New(language.Persian)
	slices.SortFunc(as, func(a, b domain.Agency) int {
		return cmp.Or(c.CompareString(a.NameFa, b.NameFa), cmp.Compare(a.Code, b.Code))
	})
	return as, nil
}

// Agency returns agency id, active or not, or a NotFound "agency.notfound"
// error.
func (db *DB) Agency(ctx context.Context, id int64) (domain.Agency, error) {
	a, err := scanAgency(db.pool.QueryRow(ctx, `SELECT `+agencyColumns+` FROM agencies WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return domain.Agency{}, domain.NotFound("agency.notfound")
	}
	if err != nil {
		return domain.Agency{}, fmt.Errorf("postgres: agency: %w", err)
	}
	return a, nil
}

// checkAgency rejects what the table's constraints would; the rest of the
// validation is domain.NewAgency's.
func checkAgency(code, nameFa string) error {
	switch {
	case code == "":
		return domain.Invalid("agency.code")
	case nameFa == "":
		return domain.Invalid("agency.name")
	}
	return nil
}
