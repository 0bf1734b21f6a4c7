package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rasad-gov/rasad/domain"
)

// Two unique indexes keep stall requests whole however many operators,
// vendors and replicas act at once: one_open_request (a person's one open
// request a year; inserts say ON CONFLICT ... DO NOTHING against it) and
// one_holder_per_stall (no stall offered or allocated twice). On top of
// them AllocateMarket holds the market's row lock, so allocations of one
// market take turns and each sees the stalls the one before it offered.
//
// Row locks are taken in one order: a market, then its waiting requests
// in order of request (AllocateMarket), or a single request (RespondToOffer,
// CancelStallRequest), or offered requests in id order (ExpireOffers). No
// path holds a request while waiting for a market, so they cannot deadlock.

const (
	// openRequest is the conflict target naming one_open_request.
	openRequest = `ON CONFLICT (national_id, program_year) WHERE state IN ('waiting', 'offered', 'allocated') DO NOTHING`

	// stallColumns are read by scanStall, in its order, from stall_requests
	// aliased s; the last is the request's markets in order of preference.
	stallColumns = `s.id, s.program_year, s.telegram_id, s.national_id, s.full_name, s.phone, s.gender,
	s.female_head, s.category, s.vendor_kind, s.state, s.created_at, COALESCE(s.submission, ''),
	COALESCE(s.market_id, 0), COALESCE(s.stall, 0), s.deadline,
	ARRAY(SELECT rm.market_id FROM stall_request_markets rm WHERE rm.request_id = s.id ORDER BY rm.rank)`

	// released is the SET list that frees a request's stall.
	released = `market_id = NULL, stall = NULL, offered_at = NULL, deadline = NULL`

	// constraintStallSubmission is the unique index on stall requests'
	// submission keys, as a unique violation names it.
	constraintStallSubmission = "stall_requests_submission"
)

func scanStall(row pgx.Row) (domain.StallRequest, error) {
	var (
		r                                           domain.StallRequest
		nationalID, phone, gender, category, vendor string
		state                                       string
		deadline                                    *time.Time
	)
	err := row.Scan(&r.ID, &r.ProgramYear, &r.UserID, &nationalID, &r.FullName, &phone, &gender,
		&r.FemaleHead, &category, &vendor, &state, &r.CreatedAt, &r.Submission,
		&r.MarketID, &r.Stall, &deadline, &r.Markets)
	if err != nil {
		return domain.StallRequest{}, err
	}
	r.NationalID = domain.NationalID(nationalID)
	r.Phone = domain.Mobile(phone)
	r.Gender = domain.Gender(gender)
	r.Category = domain.ProductCategory(category)
	r.VendorKind = domain.VendorKind(vendor)
	r.State = domain.RequestState(state)
	r.Deadline = deref(deadline)
	return r, nil
}

func collectStalls(rows pgx.Rows) ([]domain.StallRequest, error) {
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (domain.StallRequest, error) {
		return scanStall(row)
	})
}

// stallByID returns request id, or NotFound "stall.notfound". lock adds a
// row lock for the rest of the transaction.
func stallByID(ctx context.Context, q querier, id int64, lock bool) (domain.StallRequest, error) {
	sql := `SELECT ` + stallColumns + ` FROM stall_requests s WHERE s.id = $1`
	if lock {
		sql += ` FOR NO KEY UPDATE OF s`
	}
	r, err := scanStall(q.QueryRow(ctx, sql, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return domain.StallRequest{}, domain.NotFound("stall.notfound")
	}
	return r, err
}

// openStall returns the open request of nid in year, or pgx.ErrNoRows.
func openStall(ctx context.Context, q querier, year int, nid domain.NationalID) (domain.StallRequest, error) {
	return scanStall(q.QueryRow(ctx, `
		SELECT `+stallColumns+` FROM stall_requests s
		WHERE s.national_id = $1 AND s.program_year = $2 AND s.state IN ('waiting', 'offered', 'allocated')`,
		string(nid), year))
}

// CreateStallRequest stores r as a waiting request made at now and returns
// it with its id. r.ProgramYear must be set; r is otherwise expected to
// have passed r.Check. r.State, MarketID, Stall and Deadline are ignored.
//
// Errors: Invalid "markets.count" or "markets.repeated"; NotFound
// "market.notfound" if a named market does not exist or is inactive
// (nothing is stored); Conflict "stall.open" if the national code already
// has an open request this program year, returned together with that
// request. The open request may be another Telegram user's (someone typed
// this person's code): compare its UserID before showing it.
//
// r.Submission, when set, is the key of the conversation submitting it: if
// a request was already stored under it (the same submit delivered again
// after a crash, or twice at once), that request is returned, as it now
// stands, with a nil error and nothing written.
func (db *DB) CreateStallRequest(ctx context.Context, r domain.StallRequest, now time.Time) (domain.StallRequest, error) {
	if r.ProgramYear == 0 {
		return domain.StallRequest{}, errors.New("postgres: create stall request: program year not set")
	}
	if len(r.Markets) == 0 || len(r.Markets) > domain.MaxPreferences {
		return domain.StallRequest{}, domain.Invalid("markets.count")
	}
	var (
		out  domain.StallRequest
		open bool
	)
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		open = false
		for try := 1; ; try++ {
			// No check for an open request first: two taps at once would
			// both pass it. The partial unique index decides; an insert that
			// meets a concurrent uncommitted one waits for it.
			var id int64
			err := tx.QueryRow(ctx, `
				INSERT INTO stall_requests (program_year, telegram_id, national_id, full_name, phone, gender,
					female_head, category, vendor_kind, created_at, updated_at, submission)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11)
				`+openRequest+`
				RETURNING id`,
				r.ProgramYear, r.UserID, string(r.NationalID), r.FullName, string(r.Phone), string(r.Gender),
				r.FemaleHead, string(r.Category), string(r.VendorKind), now, nullKey(r.Submission)).Scan(&id)
			if err == nil {
				if err := insertPreferences(ctx, tx, id, r.Markets); err != nil {
					return err
				}
				out, err = stallByID(ctx, tx, id, false)
				return err
			}
			if !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
			// Held by a committed request, unless it was closed since.
			out, err = openStall(ctx, tx, r.ProgramYear, r.NationalID)
			if errors.Is(err, pgx.ErrNoRows) {
				if try < maxTries {
					continue
				}
				return errors.New("open stall request keeps vanishing")
			}
			// Held by this same submit, made before: done.
			open = err == nil && (r.Submission == "" || out.Submission != r.Submission)
			return err
		}
	})
	if violates(err, constraintStallSubmission) {
		// This submit's request, stored before and no longer open, or by a
		// delivery racing this one: the insert waited for it to commit, so
		// a new statement sees it.
		out, err = db.StallRequestBySubmission(ctx, r.Submission)
	}
	if err != nil {
		return domain.StallRequest{}, wrap("create stall request", err)
	}
	if open {
		return out, domain.Conflict("stall.open")
	}
	return out, nil
}

// insertPreferences stores request id's markets in rank order, or fails
// with NotFound "market.notfound" if one does not exist or is inactive.
func insertPreferences(ctx context.Context, tx pgx.Tx, id int64, markets []int64) error {
	tag, err := tx.Exec(ctx, `
		INSERT INTO stall_request_markets (request_id, market_id, rank)
		SELECT $1, m.id, p.rank
		FROM unnest($2::bigint[]) WITH ORDINALITY AS p(market_id, rank)
		JOIN markets m ON m.id = p.market_id AND m.active`,
		id, markets)
	if code, _ := pgError(err); code == codeUniqueViolation {
		return domain.Wrap(domain.KindInvalid, "markets.repeated", err)
	}
	if err != nil {
		return err
	}
	if tag.RowsAffected() != int64(len(markets)) {
		return domain.NotFound("market.notfound")
	}
	return nil
}

// StallRequestBySubmission returns the request stored by the submit with
// key, in any state, or NotFound "stall.notfound" (also for the empty key,
// which is no submit's).
func (db *DB) StallRequestBySubmission(ctx context.Context, key string) (domain.StallRequest, error) {
	if key == "" {
		return domain.StallRequest{}, domain.NotFound("stall.notfound")
	}
	r, err := scanStall(db.pool.QueryRow(ctx, `SELECT `+stallColumns+` FROM stall_requests s WHERE s.submission = $1`, key))
	if errors.Is(err, pgx.ErrNoRows) {
		return domain.StallRequest{}, domain.NotFound("stall.notfound")
	}
	if err != nil {
		return domain.StallRequest{}, fmt.Errorf("postgres: stall request by submission: %w", err)
	}
	return r, nil
}

// StallRequest returns request id, in any state, or NotFound
// "stall.notfound".
func (db *DB) StallRequest(ctx context.Context, id int64) (domain.StallRequest, error) {
	r, err := stallByID(ctx, db.pool, id, false)
	if err != nil {
		return domain.StallRequest{}, wrap("stall request", err)
	}
	return r, nil
}

// OpenStallRequest returns the waiting, offered or allocated request of
// national code nid in program year year, or NotFound "stall.notfound".
func (db *DB) OpenStallRequest(ctx context.Context, year int, nid domain.NationalID) (domain.StallRequest, error) {
	r, err := openStall(ctx, db.pool, year, nid)
	if errors.Is(err, pgx.ErrNoRows) {
		return domain.StallRequest{}, domain.NotFound("stall.notfound")
	}
	if err != nil {
		return domain.StallRequest{}, fmt.Errorf("postgres: open stall request: %w", err)
	}
	return r, nil
}

// UserStallRequests returns the requests Telegram user telegramID made in
// program year year, in every state, newest first.
func (db *DB) UserStallRequests(ctx context.Context, telegramID int64, year int) ([]domain.StallRequest, error) {
	rows, err := db.pool.Query(ctx, `
		SELECT `+stallColumns+` FROM stall_requests s
		WHERE s.telegram_id = $1 AND s.program_year = $2
		ORDER BY s.created_at DESC, s.id DESC`, telegramID, year)
	if err != nil {
		return nil, fmt.Errorf("postgres: user stall requests: %w", err)
	}
	rs, err := collectStalls(rows)
	if err != nil {
		return nil, fmt.Errorf("postgres: user stall requests: %w", err)
	}
	return rs, nil
}

// waitingSQL selects the waiting requests of program year $2 that name
// market $1, in order of request.
const waitingSQL = `
	SELECT ` + stallColumns + ` FROM stall_requests s
	WHERE s.state = 'waiting' AND s.program_year = $2
	  AND EXISTS (SELECT 1 FROM stall_request_markets w WHERE w.request_id = s.id AND w.market_id = $1)
	ORDER BY s.created_at, s.id`

// WaitingFor returns the waiting requests of program year year that name
// market marketID, with all their markets, in order of request: the input
// of domain.Line and domain.Position.
func (db *DB) WaitingFor(ctx context.Context, marketID int64, year int) ([]domain.StallRequest, error) {
	rows, err := db.pool.Query(ctx, waitingSQL, marketID, year)
	if err != nil {
		return nil, fmt.Errorf("postgres: waiting for market: %w", err)
	}
	rs, err := collectStalls(rows)
	if err != nil {
		return nil, fmt.Errorf("postgres: waiting for market: %w", err)
	}
	return rs, nil
}

// HeldStalls returns the requests offered or allocated a stall at market
// marketID, of any program year, by stall number.
func (db *DB) HeldStalls(ctx context.Context, marketID int64, year int) ([]domain.StallRequest, error) {
	rows, err := db.pool.Query(ctx, `
		SELECT `+stallColumns+` FROM stall_requests s
		WHERE s.market_id = $1 AND s.program_year = $2 AND s.state IN ('offered', 'allocated')
		ORDER BY s.stall`, marketID, year)
	if err != nil {
		return nil, fmt.Errorf("postgres: held stalls: %w", err)
	}
	rs, err := collectStalls(rows)
	if err != nil {
		return nil, fmt.Errorf("postgres: held stalls: %w", err)
	}
	return rs, nil
}

// AllocateMarket offers stalls of market marketID to waiting requests of
// program year year, as allocate decides, at now with offers open until
// deadline, and returns the requests offered a stall, by stall number.
//
// It runs in one transaction holding the market's row lock, so operators or
// replicas allocating the same market at once take turns, and the second
// sees the first's offers; the waiting requests are locked too, so a
// request naming two markets allocated at once is offered one stall, and
// is not cancelled meanwhile. An inactive market, or one out of season at
// now, offers nothing. An
// assignment that is not a free stall of this market for one of waiting's
// requests is a bug in allocate: the call fails and nothing is offered.
//
// Errors: NotFound "market.notfound".
func (db *DB) AllocateMarket(ctx context.Context, marketID int64, year int, now, deadline time.Time,
	allocate func(m domain.Market, taken []int, waiting []domain.StallRequest) []domain.Assignment,
) ([]domain.StallRequest, error) {
	if !deadline.After(now) {
		return nil, errors.New("postgres: allocate market: deadline not after now")
	}
	var out []domain.StallRequest
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		out = nil
		m, err := db.scanMarket(tx.QueryRow(ctx, `
			SELECT `+marketColumns+` FROM markets WHERE id = $1 FOR NO KEY UPDATE`, marketID))
		if errors.Is(err, pgx.ErrNoRows) {
			return domain.NotFound("market.notfound")
		}
		if err != nil || !m.Active || !m.InSeason(now) {
			return err
		}
		rows, err := tx.Query(ctx, `
			SELECT stall FROM stall_requests
			WHERE market_id = $1 AND program_year = $2 AND state IN ('offered', 'allocated')
			ORDER BY stall`, marketID, year)
		if err != nil {
			return err
		}
		taken, err := pgx.CollectRows(rows, pgx.RowTo[int])
		if err != nil {
			return err
		}
		// Locked in order of request; a row that stopped waiting while
		// this waited for its lock is left out.
		rows, err = tx.Query(ctx, waitingSQL+` FOR NO KEY UPDATE OF s`, marketID, year)
		if err != nil {
			return err
		}
		waiting, err := collectStalls(rows)
		if err != nil {
			return err
		}
		if len(waiting) == 0 {
			return nil
		}
		as := allocate(m, slices.Clone(taken), slices.Clone(waiting))
		if len(as) == 0 {
			return nil
		}
		if err := checkAssignments(m, taken, waiting, as); err != nil {
			return err
		}
		ids, stalls := make([]int64, len(as)), make([]int32, len(as))
		for i, a := range as {
			ids[i], stalls[i] = a.RequestID, int32(a.Stall)
		}
		rows, err = tx.Query(ctx, `
			UPDATE stall_requests s SET state = 'offered', market_id = $1, stall = a.stall,
				offered_at = $2, deadline = $3, updated_at = $2
			FROM unnest($4::bigint[], $5::int[]) AS a(id, stall)
			WHERE s.id = a.id AND s.state = 'waiting'
			RETURNING `+stallColumns,
			marketID, now, deadline, ids, stalls)
		if err != nil {
			return err
		}
		out, err = collectStalls(rows)
		if err != nil {
			return err
		}
		if len(out) != len(as) {
			// The requests are locked: this cannot happen.
			return fmt.Errorf("%d of %d assignments applied", len(out), len(as))
		}
		slices.SortFunc(out, func(a, b domain.StallRequest) int { return cmp.Compare(a.Stall, b.Stall) })
		return nil
	})
	if err != nil {
		return nil, wrap("allocate market", err)
	}
	return out, nil
}

// checkAssignments rejects assignments that do not give free stalls of m,
// each once, to waiting requests, each once.
func checkAssignments(m domain.Market, taken []int, waiting []domain.StallRequest, as []domain.Assignment) error {
	held := make(map[int]bool, len(taken)+len(as))
	for _, s := range taken {
		held[s] = true
	}
	open := make(map[int64]bool, len(waiting))
	for _, r := range waiting {
		open[r.ID] = true
	}
	for _, a := range as {
		switch {
		case a.MarketID != m.ID:
			return fmt.Errorf("allocate: request %d assigned to market %d, not %d", a.RequestID, a.MarketID, m.ID)
		case a.Stall < 1 || a.Stall > m.Capacity:
			return fmt.Errorf("allocate: stall %d outside 1..%d", a.Stall, m.Capacity)
		case held[a.Stall]:
			return fmt.Errorf("allocate: stall %d is not free", a.Stall)
		case !open[a.RequestID]:
			return fmt.Errorf("allocate: request %d is not waiting or assigned twice", a.RequestID)
		}
		held[a.Stall] = true
		open[a.RequestID] = false
	}
	return nil
}

// release moves locked request cur, which holds a stall, to state on the
// answer of press key ("" for none), frees the stall and returns the request
// as stored but still naming the market, stall and deadline it held. The
// answered_ columns keep that offer, for the same press delivered again.
func release(ctx context.Context, tx pgx.Tx, cur domain.StallRequest, state domain.RequestState, now time.Time, key string) (domain.StallRequest, error) {
	// The right-hand sides read the row as it was, before it was released.
	out, err := scanStall(tx.QueryRow(ctx, `
		UPDATE stall_requests s SET state = $2, `+released+`, updated_at = $3, answer_key = $4,
			answered_market = s.market_id, answered_stall = s.stall, answered_deadline = s.deadline
		WHERE s.id = $1
		RETURNING `+stallColumns,
		cur.ID, string(state), now, nullKey(key)))
	if err != nil {
		return domain.StallRequest{}, err
	}
	out.MarketID, out.Stall, out.Deadline = cur.MarketID, cur.Stall, cur.Deadline
	return out, nil
}

// RespondToOffer records Telegram user telegramID's answer at now to the
// offer made to request requestID: accepted, the request is allocated the
// stall; declined, it is declined and the stall is free. The returned
// request still names the market, stall and deadline of the offer, so the
// caller can allocate that market again after a decline.
//
// Errors: NotFound "stall.notfound"; Forbidden "stall.notyours" if the
// request is another user's (nothing is returned); Conflict
// "stall.notoffered" if it is not offered (a second tap), returned with the
// request as it stands; Conflict "stall.expired" if the deadline has
// passed: the request is then marked expired, its stall freed, and it is
// returned as a decline is (allocate that market again).
//
// key, when not empty, identifies the press (the callback query) and is
// kept with the answer. The same press delivered again (after a crash, or
// twice at once) gets the answer it got the first time: the request
// allocated on accept, or declined still naming the offer on decline, with
// a nil error, or the "stall.expired" conflict if it found the offer lapsed.
// A different press on an answered offer still gets "stall.notoffered".
func (db *DB) RespondToOffer(ctx context.Context, requestID, telegramID int64, accept bool, now time.Time, key string) (domain.StallRequest, error) {
	var (
		out      domain.StallRequest
		conflict error
	)
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		out, conflict = domain.StallRequest{}, nil
		cur, err := stallByID(ctx, tx, requestID, true)
		switch {
		case err != nil:
			return err
		case cur.UserID != telegramID:
			return domain.Forbidden("stall.notyours")
		case cur.State != domain.StallOffered:
			same, err := answeredBy(ctx, tx, &cur, accept, key)
			switch {
			case err != nil:
				return err
			case !same:
				conflict = domain.Conflict("stall.notoffered") // a second press
			case cur.State == domain.StallExpired:
				conflict = domain.Conflict("stall.expired")
			}
			out = cur
			return nil
		case !now.Before(cur.Deadline):
			// Committed with the conflict: the offer has lapsed either way.
			out, err = release(ctx, tx, cur, domain.StallExpired, now, key)
			conflict = domain.Conflict("stall.expired")
			return err
		case accept:
			out, err = scanStall(tx.QueryRow(ctx, `
				UPDATE stall_requests s SET state = 'allocated', updated_at = $2, answer_key = $3
				WHERE s.id = $1
				RETURNING `+stallColumns, requestID, now, nullKey(key)))
			return err
		default:
			out, err = release(ctx, tx, cur, domain.StallDeclined, now, key)
			return err
		}
	})
	if err != nil {
		return domain.StallRequest{}, wrap("respond to offer", err)
	}
	return out, conflict
}

// answeredBy reports whether press key gave locked request cur, no longer
// offered, the answer it has: allocated on accept, declined on decline, or
// expired (found lapsed) either way. If so and the stall was given back,
// cur is made to name the offer answered again, as the first answer did.
func answeredBy(ctx context.Context, tx pgx.Tx, cur *domain.StallRequest, accept bool, key string) (bool, error) {
	if key == "" {
		return false, nil
	}
	var (
		answer   *string
		market   *int64
		stall    *int32
		deadline *time.Time
	)
	err := tx.QueryRow(ctx, `
		SELECT answer_key, answered_market, answered_stall, answered_deadline FROM stall_requests WHERE id = $1`,
		cur.ID).Scan(&answer, &market, &stall, &deadline)
	if err != nil || deref(answer) != key {
		return false, err
	}
	switch {
	case cur.State == domain.StallAllocated && accept:
		return true, nil
	case cur.State == domain.StallDeclined && !accept, cur.State == domain.StallExpired:
		cur.MarketID, cur.Stall, cur.Deadline = deref(market), int(deref(stall)), deref(deadline)
		return true, nil
	}
	return false, nil
}

// ExpireOffers marks every offer whose deadline is at or before now as
// expired, frees its stall and returns the expired requests, each still
// naming the market, stall and deadline it held, by market and stall: the
// caller tells the vendors and allocates those markets again. Replicas
// running it at once expire each offer once: the second waits for the
// first's row locks and then finds those rows no longer offered.
func (db *DB) ExpireOffers(ctx context.Context, now time.Time) ([]domain.StallRequest, error) {
	var out []domain.StallRequest
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `
			WITH due AS (
				SELECT id, market_id, stall, deadline FROM stall_requests
				WHERE state = 'offered' AND deadline <= $1
				ORDER BY id
				FOR NO KEY UPDATE
			)
			UPDATE stall_requests s SET state = 'expired', `+released+`, updated_at = $1
			FROM due WHERE s.id = due.id
			RETURNING `+stallColumns+`, due.market_id, due.stall, due.deadline`, now)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (domain.StallRequest, error) {
			var (
				market   int64
				stall    int
				deadline time.Time
			)
			r, err := scanStall(scanAround{row: row, after: []any{&market, &stall, &deadline}})
			r.MarketID, r.Stall, r.Deadline = market, stall, deadline
			return r, err
		})
		return err
	})
	if err != nil {
		return nil, wrap("expire offers", err)
	}
	slices.SortFunc(out, func(a, b domain.StallRequest) int {
		return cmp.Or(cmp.Compare(a.MarketID, b.MarketID), cmp.Compare(a.Stall, b.Stall))
	})
	return out, nil
}

// CancelStallRequest withdraws waiting request requestID on behalf of
// Telegram user telegramID at now and returns it cancelled; the person may
// then request again this year.
//
// Errors: NotFound "stall.notfound"; Forbidden "stall.notyours"; Conflict
// "stall.notwaiting" if it is not waiting (offered: decline instead),
// returned with the request as it stands.
func (db *DB) CancelStallRequest(ctx context.Context, requestID, telegramID int64, now time.Time) (domain.StallRequest, error) {
	var (
		out      domain.StallRequest
		conflict error
	)
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		out, conflict = domain.StallRequest{}, nil
		cur, err := stallByID(ctx, tx, requestID, true)
		switch {
		case err != nil:
			return err
		case cur.UserID != telegramID:
			return domain.Forbidden("stall.notyours")
		case cur.State != domain.StallWaiting:
			out, conflict = cur, domain.Conflict("stall.notwaiting")
			return nil
		}
		out, err = scanStall(tx.QueryRow(ctx, `
			UPDATE stall_requests s SET state = 'cancelled', updated_at = $2
			WHERE s.id = $1
			RETURNING `+stallColumns, requestID, now))
		return err
	})
	if err != nil {
		return domain.StallRequest{}, wrap("cancel stall request", err)
	}
	return out, conflict
}
