package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"github.com/rasad-gov/rasad/domain"
)

// Stall numbers are given out under the market row's lock: AllocateMarket,
// UpdateMarket and UpsertMarkets take it (FOR NO KEY UPDATE, or the UPDATE's
// own lock) before reading which stalls are held, so a capacity cannot drop
// below a stall being offered at the same moment. The lock does not conflict
// with the KEY SHARE lock a new request's foreign key takes, so vendors can
// still name the market meanwhile.

const marketColumns = `id, code, name_fa, name_en, kind, county, COALESCE(district, 0), weekdays,
	capacity, reserved_share, season_start, season_end, active`

func (db *DB) scanMarket(row pgx.Row) (domain.Market, error) {
	var (
		m          domain.Market
		kind       string
		district   int16
		weekdays   []int16
		start, end pgtype.Date
	)
	err := row.Scan(&m.ID, &m.Code, &m.NameFa, &m.NameEn, &kind, &m.County, &district, &weekdays,
		&m.Capacity, &m.ReservedShare, &start, &end, &m.Active)
	if err != nil {
		return domain.Market{}, err
	}
	m.Kind = domain.MarketKind(kind)
	m.District = int(district)
	m.Weekdays = make([]time.Weekday, len(weekdays))
	for i, d := range weekdays {
		m.Weekdays[i] = time.Weekday(d)
	}
	m.SeasonStart = db.day(start)
	m.SeasonEnd = db.day(end)
	return m, nil
}

// day is midnight on d in db's calendar, or the zero time for NULL.
func (db *DB) day(d pgtype.Date) time.Time {
	if !d.Valid {
		return time.Time{}
	}
	return db.cal.Date(d.Time.Date())
}

// nullDate is t's day in db's calendar, or NULL for the zero time.
func (db *DB) nullDate(t time.Time) pgtype.Date {
	if t.IsZero() {
		return pgtype.Date{}
	}
	return db.date(t)
}

func weekdayNumbers(ds []time.Weekday) []int16 {
	out := make([]int16, len(ds))
	for i, d := range ds {
		out[i] = int16(d)
	}
	return out
}

// checkMarket runs m.Validate, naming the market in the cause so an import
// can say which row failed; the code stays Validate's.
func checkMarket(m domain.Market) error {
	if err := m.Validate(); err != nil {
		return domain.Wrap(domain.KindInvalid, domain.CodeOf(err), fmt.Errorf("market %q: %w", m.Code, err))
	}
	return nil
}

// checkCapacity returns Conflict "market.capacity_held" if a stall above
// market id's capacity is offered or allocated. The caller holds the
// market's row lock.
func checkCapacity(ctx context.Context, q querier, id int64, capacity int, code string) error {
	var highest int
	err := q.QueryRow(ctx, `
		SELECT COALESCE(max(stall), 0) FROM stall_requests
		WHERE market_id = $1 AND state IN ('offered', 'allocated')`, id).Scan(&highest)
	if err != nil {
		return err
	}
	if highest > capacity {
		return domain.Wrap(domain.KindConflict, "market.capacity_held",
			fmt.Errorf("market %q: stall %d is held, capacity %d", code, highest, capacity))
	}
	return nil
}

// UpsertMarkets inserts or updates markets by code (rasad import markets),
// all in one transaction so a failed import changes nothing, and counts what
// changed: rows that were already as given count as neither. Every field but
// the id is stored as given; markets missing from ms are left alone.
//
// Errors: a market's Validate error (Invalid, the cause naming the market);
// Conflict "market.capacity_held" if a market's new capacity is below a
// stall that is offered or allocated.
func (db *DB) UpsertMarkets(ctx context.Context, ms []domain.Market) (inserted, updated int, err error) {
	for _, m := range ms {
		if err := checkMarket(m); err != nil {
			return 0, 0, err
		}
	}
	err = db.inTx(ctx, func(tx pgx.Tx) error {
		inserted, updated = 0, 0
		for _, m := range ms {
			// xmax is 0 for a row version this statement inserted. The WHERE
			// skips unchanged rows, which then return nothing; an updated
			// row stays locked, so no allocation runs before the capacity
			// check below.
			var (
				id        int64
				wasInsert bool
			)
			err := tx.QueryRow(ctx, `
				INSERT INTO markets (code, name_fa, name_en, kind, county, district, weekdays,
					capacity, reserved_share, season_start, season_end, active)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
				ON CONFLICT (code) DO UPDATE SET
					name_fa = EXCLUDED.name_fa, name_en = EXCLUDED.name_en, kind = EXCLUDED.kind,
					county = EXCLUDED.county, district = EXCLUDED.district, weekdays = EXCLUDED.weekdays,
					capacity = EXCLUDED.capacity, reserved_share = EXCLUDED.reserved_share,
					season_start = EXCLUDED.season_start, season_end = EXCLUDED.season_end,
					active = EXCLUDED.active, updated_at = now()
				WHERE (markets.name_fa, markets.name_en, markets.kind, markets.county, markets.district,
				       markets.weekdays, markets.capacity, markets.reserved_share, markets.season_start,
				       markets.season_end, markets.active)
				      IS DISTINCT FROM
				      (EXCLUDED.name_fa, EXCLUDED.name_en, EXCLUDED.kind, EXCLUDED.county, EXCLUDED.district,
				       EXCLUDED.weekdays, EXCLUDED.capacity, EXCLUDED.reserved_share, EXCLUDED.season_start,
				       EXCLUDED.season_end, EXCLUDED.active)
				RETURNING id, xmax = 0`,
				db.marketArgs(m)...).Scan(&id, &wasInsert)
			switch {
			case errors.Is(err, pgx.ErrNoRows):
			case err != nil:
				return fmt.Errorf("market %q: %w", m.Code, err)
			case wasInsert:
				inserted++
			default:
				updated++
				if err := checkCapacity(ctx, tx, id, m.Capacity, m.Code); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return 0, 0, wrap("upsert markets", err)
	}
	return inserted, updated, nil
}

// marketArgs are m's values for the upsert, in column order from code to
// active.
func (db *DB) marketArgs(m domain.Market) []any {
	return []any{
		m.Code, m.NameFa, m.NameEn, string(m.Kind), m.County, nullDistrict(m.District), weekdayNumbers(m.Weekdays),
		m.Capacity, m.ReservedShare, db.nullDate(m.SeasonStart), db.nullDate(m.SeasonEnd), m.Active,
	}
}

// Markets returns the active markets by county (in domain.Counties order),
// then district, then Persian name.
func (db *DB) Markets(ctx context.Context) ([]domain.Market, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+marketColumns+` FROM markets WHERE active`)
	if err != nil {
		return nil, fmt.Errorf("postgres: markets: %w", err)
	}
	ms, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (domain.Market, error) {
		return db.scanMarket(row)
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: markets: %w", err)
	}
	countyRank := func(code string) int {
		i := slices.IndexFunc(domain.Counties, func(c domain.County) bool { return c.Code == code })
		if i < 0 {
			return len(domain.Counties)
		}
		return i
	}
	// Names sorted here, as agencies are, so as not to depend on the
	// server's collations.
	c := collate.New(language.Persian)
	slices.SortFunc(ms, func(a, b domain.Market) int {
		return cmp.Or(
			cmp.Compare(countyRank(a.County), countyRank(b.County)),
			cmp.Compare(a.County, b.County),
			cmp.Compare(a.District, b.District),
			c.CompareString(a.NameFa, b.NameFa),
			cmp.Compare(a.Code, b.Code))
	})
	return ms, nil
}

// Market returns market id, active or not, or a NotFound "market.notfound"
// error.
func (db *DB) Market(ctx context.Context, id int64) (domain.Market, error) {
	m, err := db.scanMarket(db.pool.QueryRow(ctx, `SELECT `+marketColumns+` FROM markets WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return domain.Market{}, domain.NotFound("market.notfound")
	}
	if err != nil {
		return domain.Market{}, fmt.Errorf("postgres: market: %w", err)
	}
	return m, nil
}

// UpdateMarket stores m's names, weekdays, capacity, reserved share, season
// and active flag on market m.ID; its code, kind, county and district stay
// as they are. m as a whole must pass Validate.
//
// Errors: Validate's; NotFound "market.notfound"; Conflict
// "market.capacity_held" if m.Capacity is below a stall number that is
// offered or allocated (withdraw those first).
func (db *DB) UpdateMarket(ctx context.Context, m domain.Market) error {
	if err := checkMarket(m); err != nil {
		return err
	}
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		var code string
		err := tx.QueryRow(ctx, `
			UPDATE markets SET name_fa = $2, name_en = $3, weekdays = $4, capacity = $5, reserved_share = $6,
				season_start = $7, season_end = $8, active = $9, updated_at = now()
			WHERE id = $1
			RETURNING code`,
			m.ID, m.NameFa, m.NameEn, weekdayNumbers(m.Weekdays), m.Capacity, m.ReservedShare,
			db.nullDate(m.SeasonStart), db.nullDate(m.SeasonEnd), m.Active).Scan(&code)
		if errors.Is(err, pgx.ErrNoRows) {
			return domain.NotFound("market.notfound")
		}
		if err != nil {
			return err
		}
		// The UPDATE holds the row lock AllocateMarket takes, so no stall
		// is offered between it and this check.
		return checkCapacity(ctx, tx, m.ID, m.Capacity, code)
	})
	return wrap("update market", err)
}
