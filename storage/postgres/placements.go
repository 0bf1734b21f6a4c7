package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/rasad-gov/rasad/domain"
)

// The national code is unique among a year's active placements by the
// partial unique index placements_one_per_year. Nothing here checks first
// and inserts after: inserts say ON CONFLICT ... DO NOTHING against that
// index (onePerYear), and an update that collides gets its unique
// violation. Under READ COMMITTED an insert that meets a concurrent
// uncommitted insert of the same code waits for it: if it commits, ours does
// nothing and the next statement sees the holder; if it aborts, ours goes
// in. The holder can still vanish between the two statements (withdrawn
// meanwhile), so the insert is then tried again.

const (
	// onePerYear is the conflict target naming placements_one_per_year.
	onePerYear = `ON CONFLICT (national_id, program_year) WHERE withdrawn_at IS NULL DO NOTHING`

	// auditCreated, after a CTE "ins" that inserts placements, writes each
	// one's "created" audit row in the same statement.
	auditCreated = `audit AS (
		INSERT INTO placement_changes (placement_id, field, changed_by, changed_at)
		SELECT id, 'created', liaison_id, created_at FROM ins
	)`

	// constraintOnePerYear is the index's name as a unique violation reports it.
	constraintOnePerYear = "placements_one_per_year"

	// constraintPlacementSubmission is the unique index on placements'
	// submission keys: a violation is a submit repeated after its record's
	// code stopped holding (withdrawn or corrected meanwhile), or two
	// deliveries of one submit racing.
	constraintPlacementSubmission = "placements_submission"

	// codeDeadlock is deadlock_detected. Two imports, or an import and a
	// correction, that take the same codes in different orders can meet one;
	// PostgreSQL aborts one transaction, which is then run again.
	codeDeadlock = "40P01"

	// maxTries bounds the retries after a vanished holder or a deadlock.
	maxTries = 3
)

// A placement's own fields are domain.PlacementFields: their columns,
// arguments and scan targets are derived from that table, in its order.
// The record's columns (who, when, verification, submission) are written
// here.
var (
	// fieldColumns are the fields' columns, comma-separated.
	fieldColumns = func() string {
		cols := make([]string, len(domain.PlacementFields))
		for i, f := range domain.PlacementFields {
			cols[i] = f.Column
		}
		return strings.Join(cols, ", ")
	}()

	// placementColumns are read by scanPlacement, in its order.
	placementColumns = `id, program_year, ` + fieldColumns + `,
	agency_id, liaison_id, verification, created_at, updated_at,
	withdrawn_at, withdrawn_by, COALESCE(withdraw_reason, ''), COALESCE(submission, '')`

	// insertColumns are the columns a new placement is given, in the order
	// of placementArgs (created_at and updated_at follow, from now).
	insertColumns = `program_year, ` + fieldColumns + `, agency_id, liaison_id, verification, submission`

	// insertValues are insertColumns' placeholders, then now's for
	// created_at and updated_at.
	insertValues = func() string {
		n := len(domain.PlacementFields) + 5
		now := "$" + strconv.Itoa(n+1)
		return placeholders(1, n) + ", " + now + ", " + now
	}()

	// fieldAssignments set every field from $2 on, for an update whose $1
	// is the id.
	fieldAssignments = func() string {
		sets := make([]string, len(domain.PlacementFields))
		for i, f := range domain.PlacementFields {
			sets[i] = f.Column + " = $" + strconv.Itoa(i+2)
		}
		return strings.Join(sets, ", ")
	}()
)

// placeholders is "$from, …, $to".
func placeholders(from, to int) string {
	ps := make([]string, 0, to-from+1)
	for i := from; i <= to; i++ {
		ps = append(ps, "$"+strconv.Itoa(i))
	}
	return strings.Join(ps, ", ")
}

// sqlType is the column type of a field of type t, for staging tables.
func sqlType(t domain.FieldType) string {
	switch t {
	case domain.FieldNumber:
		return "int"
	case domain.FieldMoney:
		return "bigint"
	case domain.FieldDate:
		return "date"
	}
	return "text"
}

// fieldValue receives one field's column; the member used is its type's.
type fieldValue struct {
	text pgtype.Text
	num  pgtype.Int8
	date pgtype.Date
}

func (v *fieldValue) dest(t domain.FieldType) any {
	switch t {
	case domain.FieldNumber, domain.FieldMoney:
		return &v.num
	case domain.FieldDate:
		return &v.date
	}
	return &v.text
}

// value is what was read as a field value: NULL is "".
func (v *fieldValue) value(t domain.FieldType) string {
	switch t {
	case domain.FieldNumber, domain.FieldMoney:
		if v.num.Valid {
			return strconv.FormatInt(v.num.Int64, 10)
		}
	case domain.FieldDate:
		if v.date.Valid {
			// pgx gives a date as midnight UTC of that day.
			return v.date.Time.Format(domain.DateLayout)
		}
	default:
		if v.text.Valid {
			return v.text.String
		}
	}
	return ""
}

// fieldArg is f's value in p as a column's argument: an empty value is the
// field's default, or NULL.
func fieldArg(f domain.PlacementField, p *domain.Placement, cal domain.Calendar) (any, error) {
	v := f.Get(p, cal)
	if v == "" {
		v = f.Default
	}
	if v == "" {
		return nil, nil
	}
	switch f.Type {
	case domain.FieldNumber, domain.FieldMoney:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", f.Key, err)
		}
		return n, nil
	case domain.FieldDate:
		t, err := time.Parse(domain.DateLayout, v)
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", f.Key, err)
		}
		return pgtype.Date{Time: t, Valid: true}, nil
	}
	return v, nil
}

// fieldArgs are p's fields as arguments, appended to args.
func (db *DB) fieldArgs(args []any, p *domain.Placement) ([]any, error) {
	for _, f := range domain.PlacementFields {
		a, err := fieldArg(f, p, db.cal)
		if err != nil {
			return nil, err
		}
		args = append(args, a)
	}
	return args, nil
}

// placementScanner reads placementColumns into a placement; one can read
// row after row without allocating its targets again.
type placementScanner struct {
	cal                    domain.Calendar
	p                      domain.Placement
	fields                 []fieldValue
	liaisonID, withdrawnBy *int64
	withdrawnAt            *time.Time
	dest                   []any
}

func (db *DB) newPlacementScanner() *placementScanner {
	s := &placementScanner{cal: db.cal, fields: make([]fieldValue, len(domain.PlacementFields))}
	s.dest = append(s.dest, &s.p.ID, &s.p.ProgramYear)
	for i, f := range domain.PlacementFields {
		s.dest = append(s.dest, s.fields[i].dest(f.Type))
	}
	s.dest = append(s.dest, &s.p.AgencyID, &s.liaisonID, &s.p.Verification, &s.p.CreatedAt, &s.p.UpdatedAt,
		&s.withdrawnAt, &s.withdrawnBy, &s.p.WithdrawReason, &s.p.Submission)
	return s
}

func (s *placementScanner) scan(row pgx.Row) (domain.Placement, error) {
	s.p = domain.Placement{}
	if err := row.Scan(s.dest...); err != nil {
		return domain.Placement{}, err
	}
	for i, f := range domain.PlacementFields {
		f.Set(&s.p, s.cal, s.fields[i].value(f.Type))
	}
	s.p.LiaisonID = deref(s.liaisonID)
	s.p.WithdrawnAt = deref(s.withdrawnAt)
	s.p.WithdrawnBy = deref(s.withdrawnBy)
	return s.p, nil
}

func (db *DB) scanPlacement(row pgx.Row) (domain.Placement, error) {
	return db.newPlacementScanner().scan(row)
}

func (db *DB) collectPlacements(rows pgx.Rows) ([]domain.Placement, error) {
	s := db.newPlacementScanner()
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (domain.Placement, error) {
		return s.scan(row)
	})
}

// placementArgs are p's values for insertColumns.
func (db *DB) placementArgs(p domain.Placement) ([]any, error) {
	verification := p.Verification
	if verification == "" {
		verification = domain.VerifyNotSampled
	}
	args, err := db.fieldArgs(append(make([]any, 0, len(domain.PlacementFields)+6), p.ProgramYear), &p)
	if err != nil {
		return nil, err
	}
	return append(args, p.AgencyID, nullID(p.LiaisonID), string(verification), nullKey(p.Submission)), nil
}

// date is t's day in db's calendar. pgx writes a date from the year, month
// and day of the time in its own location, so an instant given in UTC would
// otherwise land on the day before (in Tehran).
func (db *DB) date(t time.Time) pgtype.Date {
	return pgtype.Date{Time: db.cal.In(t), Valid: true}
}

func nullDistrict(d int) *int16 {
	if d == 0 {
		return nil
	}
	v := int16(d)
	return &v
}

// checkNew rejects placements the caller forgot to complete; the rest of
// the validation is domain.Placement.Check's, and the table's constraints.
func checkNew(p domain.Placement) error {
	if p.ProgramYear == 0 {
		return errors.New("program year not set")
	}
	return nil
}

// agencyNotFound turns a foreign key violation (an agency that does not
// exist) into NotFound "agency.notfound".
func agencyNotFound(err error) error {
	if code, _ := pgError(err); code == codeForeignKeyViolation {
		return domain.Wrap(domain.KindNotFound, "agency.notfound", err)
	}
	return err
}

// retryDeadlock runs fn in a transaction, again if PostgreSQL chose it as a
// deadlock's victim. fn must reset whatever it reports on each run.
func (db *DB) retryDeadlock(ctx context.Context, fn func(tx pgx.Tx) error) error {
	for try := 1; ; try++ {
		err := db.inTx(ctx, fn)
		if code, _ := pgError(err); code == codeDeadlock && try < maxTries && ctx.Err() == nil {
			continue
		}
		return err
	}
}

// activeHolder returns the active placement holding national code id in
// year, or pgx.ErrNoRows.
func (db *DB) activeHolder(ctx context.Context, q querier, year int, id domain.NationalID) (domain.Placement, error) {
	return db.scanPlacement(q.QueryRow(ctx, `
		SELECT `+placementColumns+` FROM placements
		WHERE national_id = $1 AND program_year = $2 AND withdrawn_at IS NULL`,
		string(id), year))
}

// recordAttempt keeps a refused registration by agencyID of holder's code.
func recordAttempt(ctx context.Context, q querier, holder domain.Placement, agencyID, liaisonID int64, at time.Time) error {
	_, err := q.Exec(ctx, `
		INSERT INTO duplicate_attempts (national_id, program_year, agency_id, liaison_id, holder_id, at)
		VALUES ($1, $2, $3, $4, $5, $6)`,
		string(holder.NationalID), holder.ProgramYear, agencyID, nullID(liaisonID), holder.ID, at)
	return err
}

// CreatePlacement stores p, registered at now by p.LiaisonID for
// p.AgencyID, and returns it with its id. p.ProgramYear must be set; p is
// otherwise expected to have passed p.Check. CreatedAt and UpdatedAt are
// now; an empty Verification is pending. A "created" row starts its audit
// trail.
//
// p.Submission, when set, is the key of the conversation submitting it, and
// makes the call idempotent: if a placement was already stored under that
// key (the same submit delivered again after a crash, or twice at once), it
// is returned as saved, nil error, with nothing written or recorded, even if
// it was corrected or withdrawn since.
//
// If the national code is already placed this program year the error is a
// domain.DuplicateErr naming the record that holds it: SameAgency when it is
// p.AgencyID's own (nothing is recorded), otherwise the attempt is kept for
// the summaries. An agency that does not exist is NotFound
// "agency.notfound".
func (db *DB) CreatePlacement(ctx context.Context, p domain.Placement, now time.Time) (domain.Placement, error) {
	if err := checkNew(p); err != nil {
		return domain.Placement{}, fmt.Errorf("postgres: create placement: %w", err)
	}
	// The usual case, a new code, is one statement on its own: it writes
	// the placement and its audit row together or nothing, without the
	// round trips of BEGIN and COMMIT. A code already held is looked into
	// in a transaction below.
	out, err := db.insertPlacement(ctx, db.pool, p, now)
	if err == nil {
		return out, nil
	}
	var dup *domain.Duplicate
	if !errors.Is(err, pgx.ErrNoRows) {
		err = agencyNotFound(err)
	} else {
		// The code is held. A repeated submit whose record still holds it
		// lands here too: the holder then carries the same key.
		err = db.inTx(ctx, func(tx pgx.Tx) error {
			var err error
			out, dup, err = db.createHeld(ctx, tx, p, now)
			return err
		})
	}
	if violates(err, constraintPlacementSubmission) {
		// A repeated submit whose record no longer holds the code
		// (withdrawn or corrected since), or one delivery of a submit
		// racing another: the insert waited for the key's row to commit,
		// so a new statement sees it.
		out, err = db.PlacementBySubmission(ctx, p.Submission)
	}
	if err != nil {
		return domain.Placement{}, wrap("create placement", err)
	}
	if dup != nil {
		return domain.Placement{}, domain.DuplicateErr(*dup)
	}
	return out, nil
}

// createHeld is CreatePlacement once p's code was found held: it tries the
// insert again in tx (the holder may have gone meanwhile), and otherwise
// returns the holder if this same submit stored it, or the duplicate.
func (db *DB) createHeld(ctx context.Context, tx pgx.Tx, p domain.Placement, now time.Time) (domain.Placement, *domain.Duplicate, error) {
	for try := 1; ; try++ {
		out, err := db.insertPlacement(ctx, tx, p, now)
		if err == nil {
			return out, nil, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return domain.Placement{}, nil, agencyNotFound(err)
		}
		// The code is held by a committed row: this statement's snapshot
		// sees it, unless it was withdrawn in the meantime.
		holder, err := db.activeHolder(ctx, tx, p.ProgramYear, p.NationalID)
		if errors.Is(err, pgx.ErrNoRows) {
			if try < maxTries {
				continue
			}
			return domain.Placement{}, nil, errors.New("national code holder keeps vanishing")
		}
		if err != nil {
			return domain.Placement{}, nil, err
		}
		if p.Submission != "" && holder.Submission == p.Submission {
			return holder, nil, nil // saved by this same submit before
		}
		dup := &domain.Duplicate{Existing: holder, SameAgency: holder.AgencyID == p.AgencyID}
		if dup.SameAgency {
			return domain.Placement{}, dup, nil
		}
		return domain.Placement{}, dup, agencyNotFound(recordAttempt(ctx, tx, holder, p.AgencyID, p.LiaisonID, now))
	}
}

// insertPlacement stores p with its "created" audit row in one statement,
// or returns pgx.ErrNoRows if its national code is held this program year.
func (db *DB) insertPlacement(ctx context.Context, q querier, p domain.Placement, now time.Time) (domain.Placement, error) {
	args, err := db.placementArgs(p)
	if err != nil {
		return domain.Placement{}, err
	}
	return db.scanPlacement(q.QueryRow(ctx, `
		WITH ins AS (
			INSERT INTO placements (`+insertColumns+`, created_at, updated_at)
			VALUES (`+insertValues+`)
			`+onePerYear+`
			RETURNING *
		), `+auditCreated+`
		SELECT `+placementColumns+` FROM ins`,
		append(args, now)...))
}

// Placement returns placement id, withdrawn or not, or a NotFound
// "placement.notfound" error.
func (db *DB) Placement(ctx context.Context, id int64) (domain.Placement, error) {
	return db.placementWhere(ctx, "placement", `id = $1`, id)
}

// PlacementBySubmission returns the placement, withdrawn or not, that the
// submit with key registered, or a NotFound "placement.notfound" error (also
// for the empty key, which is no submit's).
func (db *DB) PlacementBySubmission(ctx context.Context, key string) (domain.Placement, error) {
	if key == "" {
		return domain.Placement{}, domain.NotFound("placement.notfound")
	}
	return db.placementWhere(ctx, "placement by submission", `submission = $1`, key)
}

// placementWhere returns the one placement matching where, or a NotFound
// "placement.notfound" error; op names the failed operation.
func (db *DB) placementWhere(ctx context.Context, op, where string, arg any) (domain.Placement, error) {
	p, err := db.scanPlacement(db.pool.QueryRow(ctx, `SELECT `+placementColumns+` FROM placements WHERE `+where, arg))
	if errors.Is(err, pgx.ErrNoRows) {
		return domain.Placement{}, domain.NotFound("placement.notfound")
	}
	if err != nil {
		return domain.Placement{}, fmt.Errorf("postgres: %s: %w", op, err)
	}
	return p, nil
}

// PlacementByNationalID returns the active placement holding national code
// id in program year year, or a NotFound "placement.notfound" error.
func (db *DB) PlacementByNationalID(ctx context.Context, year int, id domain.NationalID) (domain.Placement, error) {
	p, err := db.activeHolder(ctx, db.pool, year, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return domain.Placement{}, domain.NotFound("placement.notfound")
	}
	if err != nil {
		return domain.Placement{}, fmt.Errorf("postgres: placement by national id: %w", err)
	}
	return p, nil
}

// AgencyPlacements returns a page of agency agencyID's active placements,
// newest first, and how many it has in all. limit <= 0 means no limit.
func (db *DB) AgencyPlacements(ctx context.Context, agencyID int64, limit, offset int) ([]domain.Placement, int, error) {
	var lim *int
	if limit > 0 {
		lim = &limit
	}
	offset = max(offset, 0)
	var total int
	rows, err := db.pool.Query(ctx, `
		SELECT `+placementColumns+`, count(*) OVER ()
		FROM placements
		WHERE agency_id = $1 AND withdrawn_at IS NULL
		ORDER BY created_at DESC, id DESC
		LIMIT $2 OFFSET $3`,
		agencyID, lim, offset)
	if err != nil {
		return nil, 0, fmt.Errorf("postgres: agency placements: %w", err)
	}
	ps, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (domain.Placement, error) {
		// scanPlacement's columns, then the total.
		return db.scanPlacement(scanAround{row: row, after: []any{&total}})
	})
	if err != nil {
		return nil, 0, fmt.Errorf("postgres: agency placements: %w", err)
	}
	if len(ps) == 0 && offset > 0 {
		// Past the end: the window saw no rows to count.
		err := db.pool.QueryRow(ctx, `
			SELECT count(*) FROM placements WHERE agency_id = $1 AND withdrawn_at IS NULL`,
			agencyID).Scan(&total)
		if err != nil {
			return nil, 0, fmt.Errorf("postgres: agency placements: %w", err)
		}
	}
	return ps, total, nil
}

// scanAround lets scanPlacement read a row that has more columns: before
// are scanned from the columns ahead of the placement's, after from those
// behind.
type scanAround struct {
	row           pgx.Row
	before, after []any
}

func (s scanAround) Scan(dest ...any) error {
	all := make([]any, 0, len(s.before)+len(dest)+len(s.after))
	all = append(append(append(all, s.before...), dest...), s.after...)
	return s.row.Scan(all...)
}

// UpdatePlacement corrects placement p.ID on behalf of user by of agency
// p.AgencyID at now: every person and job field of p replaces the stored
// one (the program year, agency, liaison, verification and times are kept).
// It returns the updated record and one Change per field that changed, each
// also written to the audit trail. If nothing changed it returns the stored
// record and no changes.
//
// submission, when not empty, is the key of the conversation making the
// correction; its audit rows carry it. If this placement already has
// changes under that key (the same submit delivered again after a crash, or
// twice at once), nothing is changed and the stored record is returned with
// those changes, as the first call returned them.
//
// Errors: NotFound "placement.notfound"; Forbidden "placement.agency" if
// the record is another agency's; Conflict "placement.withdrawn" if it was
// withdrawn; a domain.DuplicateErr if the new national code is already
// placed this program year (the attempt is kept if another agency holds
// it), and then nothing changes.
func (db *DB) UpdatePlacement(ctx context.Context, p domain.Placement, by int64, now time.Time, submission string) (domain.Placement, []domain.Change, error) {
	var (
		out     domain.Placement
		changes []domain.Change
		dup     *domain.Duplicate
	)
	err := db.retryDeadlock(ctx, func(tx pgx.Tx) error {
		out, changes, dup = domain.Placement{}, nil, nil
		// NO KEY UPDATE serializes edits and withdrawals of the row without
		// blocking rows that merely point at it (audit rows, attempts); a
		// repeat of this submit waits here, then sees its changes below.
		stored, err := db.lockPlacement(ctx, tx, p.ID, p.AgencyID)
		if err != nil {
			return err
		}
		if submission != "" {
			done, err := queryChanges(ctx, tx, `placement_id = $1 AND submission = $2`, p.ID, submission)
			if err != nil {
				return err
			}
			if len(done) > 0 {
				out, changes = stored, done
				return nil
			}
		}
		if stored.Withdrawn() {
			return domain.Conflict("placement.withdrawn")
		}
		for _, f := range domain.PlacementFields {
			if o, n := f.Get(&stored, db.cal), f.Get(&p, db.cal); o != n {
				changes = append(changes, domain.Change{PlacementID: p.ID, Field: f.Column, Old: o, New: n, By: by, At: now})
			}
		}
		args, err := db.fieldArgs([]any{p.ID}, &p)
		if err != nil {
			return err
		}
		args = append(args, now)
		if len(changes) == 0 {
			out = stored
			return nil
		}
		for try := 1; ; try++ {
			// A savepoint, so a collision leaves the transaction usable for
			// recording the attempt.
			sp, err := tx.Begin(ctx)
			if err != nil {
				return err
			}
			out, err = db.scanPlacement(sp.QueryRow(ctx, `
				UPDATE placements SET `+fieldAssignments+`, updated_at = $`+strconv.Itoa(len(args))+`
				WHERE id = $1
				RETURNING `+placementColumns,
				args...))
			if err == nil {
				if err := sp.Commit(ctx); err != nil {
					return err
				}
				break
			}
			if code, constraint := pgError(err); code != codeUniqueViolation || constraint != constraintOnePerYear {
				return err
			}
			if err := sp.Rollback(ctx); err != nil {
				return err
			}
			holder, err := db.activeHolder(ctx, tx, stored.ProgramYear, p.NationalID)
			if errors.Is(err, pgx.ErrNoRows) {
				if try < maxTries {
					continue
				}
				return errors.New("national code holder keeps vanishing")
			}
			if err != nil {
				return err
			}
			dup = &domain.Duplicate{Existing: holder, SameAgency: holder.AgencyID == p.AgencyID}
			if dup.SameAgency {
				return nil
			}
			return recordAttempt(ctx, tx, holder, p.AgencyID, by, now)
		}
		fields, olds, news := make([]string, len(changes)), make([]string, len(changes)), make([]string, len(changes))
		for i, c := range changes {
			fields[i], olds[i], news[i] = c.Field, c.Old, c.New
		}
		_, err = tx.Exec(ctx, `
			INSERT INTO placement_changes (placement_id, field, old_value, new_value, changed_by, changed_at, submission)
			SELECT $1, f, o, n, $5, $6, $7 FROM unnest($2::text[], $3::text[], $4::text[]) AS c(f, o, n)`,
			p.ID, fields, olds, news, nullID(by), now, nullKey(submission))
		return err
	})
	if err != nil {
		return domain.Placement{}, nil, wrap("update placement", err)
	}
	if dup != nil {
		return domain.Placement{}, nil, domain.DuplicateErr(*dup)
	}
	return out, changes, nil
}

// lockPlacement locks placement id for a change by agencyID and returns
// it, withdrawn or not, or NotFound or Forbidden "placement.agency".
func (db *DB) lockPlacement(ctx context.Context, tx pgx.Tx, id, agencyID int64) (domain.Placement, error) {
	p, err := db.scanPlacement(tx.QueryRow(ctx, `
		SELECT `+placementColumns+` FROM placements WHERE id = $1 FOR NO KEY UPDATE`, id))
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return domain.Placement{}, domain.NotFound("placement.notfound")
	case err != nil:
		return domain.Placement{}, err
	case p.AgencyID != agencyID:
		return domain.Placement{}, domain.Forbidden("placement.agency")
	}
	return p, nil
}

// WithdrawPlacement takes back placement id on behalf of user by of agency
// agencyID at now, for reason, and returns the withdrawn record. It then
// counts for nothing and its national code is free again this program year.
// The audit trail gets a "withdrawn" row with the reason and submission,
// the key of the conversation withdrawing it ("" for none).
//
// Errors: NotFound "placement.notfound"; Forbidden "placement.agency" if
// the record is another agency's; Conflict "placement.withdrawn" if it was
// already withdrawn, unless by this same submission (delivered again after
// a crash, or twice at once): the withdrawn record is then returned with a
// nil error.
func (db *DB) WithdrawPlacement(ctx context.Context, id, agencyID, by int64, reason string, now time.Time, submission string) (domain.Placement, error) {
	var out domain.Placement
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		stored, err := db.lockPlacement(ctx, tx, id, agencyID)
		if err != nil {
			return err
		}
		if stored.Withdrawn() {
			var mine bool
			if submission != "" {
				err := tx.QueryRow(ctx, `
					SELECT EXISTS (SELECT 1 FROM placement_changes
					               WHERE placement_id = $1 AND field = 'withdrawn' AND submission = $2)`,
					id, submission).Scan(&mine)
				if err != nil {
					return err
				}
			}
			if !mine {
				return domain.Conflict("placement.withdrawn")
			}
			out = stored
			return nil
		}
		out, err = db.scanPlacement(tx.QueryRow(ctx, `
			WITH upd AS (
				UPDATE placements SET withdrawn_at = $2, withdrawn_by = $3, withdraw_reason = $4, updated_at = $2
				WHERE id = $1
				RETURNING *
			), audit AS (
				INSERT INTO placement_changes (placement_id, field, changed_by, changed_at, reason, submission)
				SELECT id, 'withdrawn', $3, $2, $4, $5 FROM upd
			)
			SELECT `+placementColumns+` FROM upd`,
			id, now, nullID(by), reason, nullKey(submission)))
		return err
	})
	if err != nil {
		return domain.Placement{}, wrap("withdraw placement", err)
	}
	return out, nil
}

// PlacementChanges returns placement id's audit trail, oldest first: its
// "created" row, one row per field corrected, and "withdrawn". It is empty
// for a placement that does not exist.
func (db *DB) PlacementChanges(ctx context.Context, id int64) ([]domain.Change, error) {
	cs, err := queryChanges(ctx, db.pool, `placement_id = $1`, id)
	if err != nil {
		return nil, fmt.Errorf("postgres: placement changes: %w", err)
	}
	return cs, nil
}

// ChangesBySubmission returns the audit rows written under submission key
// key, oldest first: a correction's changed fields, or a withdrawal's
// "withdrawn" row. It is empty if that submit changed nothing (or never
// ran), and for the empty key.
func (db *DB) ChangesBySubmission(ctx context.Context, key string) ([]domain.Change, error) {
	if key == "" {
		return nil, nil
	}
	cs, err := queryChanges(ctx, db.pool, `submission = $1`, key)
	if err != nil {
		return nil, fmt.Errorf("postgres: changes by submission: %w", err)
	}
	return cs, nil
}

// queryChanges returns the audit rows matching where, oldest first.
func queryChanges(ctx context.Context, q querier, where string, args ...any) ([]domain.Change, error) {
	rows, err := q.Query(ctx, `
		SELECT placement_id, field, old_value, new_value, changed_by, changed_at, COALESCE(reason, '')
		FROM placement_changes WHERE `+where+`
		ORDER BY changed_at, id`, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (domain.Change, error) {
		var (
			c  domain.Change
			by *int64
		)
		err := row.Scan(&c.PlacementID, &c.Field, &c.Old, &c.New, &by, &c.At, &c.Reason)
		c.By = deref(by)
		return c, err
	})
}

// RecordDuplicateAttempt keeps a registration refused before it was
// attempted in full: the bot checks a typed national code at once with
// PlacementByNationalID. A zero At means now. A holder or agency that does
// not exist is NotFound "placement.notfound" or "agency.notfound".
// CreatePlacement, UpdatePlacement and BulkCreatePlacements record their
// own attempts.
func (db *DB) RecordDuplicateAttempt(ctx context.Context, a domain.DuplicateAttempt) error {
	var at *time.Time
	if !a.At.IsZero() {
		at = &a.At
	}
	_, err := db.pool.Exec(ctx, `
		INSERT INTO duplicate_attempts (national_id, program_year, agency_id, liaison_id, holder_id, at)
		VALUES ($1, $2, $3, $4, $5, COALESCE($6, now()))`,
		string(a.NationalID), a.ProgramYear, a.AgencyID, nullID(a.LiaisonID), a.HolderID, at)
	if code, constraint := pgError(err); code == codeForeignKeyViolation {
		if constraint == "duplicate_attempts_holder_id_fkey" {
			return domain.Wrap(domain.KindNotFound, "placement.notfound", err)
		}
		return domain.Wrap(domain.KindNotFound, "agency.notfound", err)
	}
	if err != nil {
		return fmt.Errorf("postgres: record duplicate attempt: %w", err)
	}
	return nil
}

// DuplicateAttempts returns the registrations refused as duplicates of
// another agency's record from from (inclusive) to to (exclusive), oldest
// first.
func (db *DB) DuplicateAttempts(ctx context.Context, from, to time.Time) ([]domain.DuplicateAttempt, error) {
	rows, err := db.pool.Query(ctx, `
		SELECT national_id, program_year, agency_id, liaison_id, holder_id, at
		FROM duplicate_attempts WHERE at >= $1 AND at < $2
		ORDER BY at, id`, from, to)
	if err != nil {
		return nil, fmt.Errorf("postgres: duplicate attempts: %w", err)
	}
	as, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (domain.DuplicateAttempt, error) {
		var (
			a          domain.DuplicateAttempt
			nationalID string
			liaison    *int64
		)
		err := row.Scan(&nationalID, &a.ProgramYear, &a.AgencyID, &liaison, &a.HolderID, &a.At)
		a.NationalID = domain.NationalID(nationalID)
		a.LiaisonID = deref(liaison)
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: duplicate attempts: %w", err)
	}
	return as, nil
}

// The staging table of a bulk insert: ord (the row's index in the input),
// then insertColumns.
var (
	bulkColumns = func() []string {
		cols := []string{"ord", "program_year"}
		for _, f := range domain.PlacementFields {
			cols = append(cols, f.Column)
		}
		return append(cols, "agency_id", "liaison_id", "verification", "submission")
	}()

	// The primary key lets the lookups by ord below use an index whatever
	// the planner guesses of a table it has no statistics for.
	createBulkTable = func() string {
		cols := []string{"ord int PRIMARY KEY", "program_year int"}
		for _, f := range domain.PlacementFields {
			cols = append(cols, f.Column+" "+sqlType(f.Type))
		}
		cols = append(cols, "agency_id bigint", "liaison_id bigint", "verification text", "submission text")
		return "CREATE TEMP TABLE placements_in (" + strings.Join(cols, ", ") + ") ON COMMIT DROP"
	}()
)

// BulkCreatePlacements stores the placements of a spreadsheet at now, in
// one transaction, and says for each, in input order, whether it was saved
// (Saved, as CreatePlacement returns it) or refused as a duplicate
// (Duplicate, as CreatePlacement's error carries it; attempts against other
// agencies' records are kept). The rows are expected to have passed Check,
// each with its ProgramYear set, and to hold distinct national codes: a
// code repeated in the input is saved once and the repeats are refused as
// duplicates of it.
//
// The rows are copied into a temporary table and inserted by one statement
// with the same conflict rule as CreatePlacement, so concurrent
// registrations of the same codes, single or bulk, still leave one
// placement per code. Ids are given in national code order, not input
// order. A row naming an agency that does not exist fails the whole call
// with NotFound "agency.notfound".
func (db *DB) BulkCreatePlacements(ctx context.Context, ps []domain.Placement, now time.Time) ([]domain.RowOutcome, error) {
	if len(ps) == 0 {
		return nil, nil
	}
	for i, p := range ps {
		if err := checkNew(p); err != nil {
			return nil, fmt.Errorf("postgres: bulk create placements: row %d: %w", i, err)
		}
	}
	var out []domain.RowOutcome
	err := db.retryDeadlock(ctx, func(tx pgx.Tx) error {
		out = make([]domain.RowOutcome, len(ps))
		return db.bulkCreate(ctx, tx, ps, now, out)
	})
	if err != nil {
		return nil, wrap("bulk create placements", err)
	}
	return out, nil
}

func (db *DB) bulkCreate(ctx context.Context, tx pgx.Tx, ps []domain.Placement, now time.Time, out []domain.RowOutcome) error {
	if _, err := tx.Exec(ctx, createBulkTable); err != nil {
		return err
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"placements_in"}, bulkColumns,
		pgx.CopyFromSlice(len(ps), func(i int) ([]any, error) {
			args, err := db.placementArgs(ps[i])
			return append([]any{int32(i)}, args...), err
		}))
	if err != nil {
		return err
	}

	type key struct {
		id   domain.NationalID
		year int
	}
	// pending are the rows not yet saved nor refused; nil means all.
	var pending []int32
	for try := 1; ; try++ {
		// Rows go in in national code order, so that two imports sharing
		// codes wait for each other in the same order rather than deadlock;
		// of a code repeated in the input, the first row goes in.
		rows, err := tx.Query(ctx, `
			WITH ins AS (
				INSERT INTO placements (`+insertColumns+`, created_at, updated_at)
				SELECT `+insertColumns+`, $1, $1 FROM placements_in
				WHERE $2::int[] IS NULL OR ord = ANY($2)
				ORDER BY national_id, program_year, ord
				`+onePerYear+`
				RETURNING *
			), `+auditCreated+`
			SELECT `+placementColumns+` FROM ins`,
			now, pending)
		if err != nil {
			return agencyNotFound(err)
		}
		saved, err := db.collectPlacements(rows)
		if err != nil {
			return agencyNotFound(err)
		}

		// Match the saved rows to the input: the first unresolved row of
		// each code and year (codes are expected to be distinct).
		rowsOf := make(map[key][]int32, len(ps))
		if pending == nil {
			for i, p := range ps {
				k := key{p.NationalID, p.ProgramYear}
				rowsOf[k] = append(rowsOf[k], int32(i))
			}
		} else {
			for _, i := range pending {
				k := key{ps[i].NationalID, ps[i].ProgramYear}
				rowsOf[k] = append(rowsOf[k], i)
			}
		}
		for _, s := range saved {
			k := key{s.NationalID, s.ProgramYear}
			is := rowsOf[k]
			if len(is) == 0 {
				return fmt.Errorf("saved placement %d matches no input row", s.ID)
			}
			out[is[0]].Saved = s
			rowsOf[k] = is[1:]
		}
		var refused []int32
		for _, is := range rowsOf {
			refused = append(refused, is...)
		}
		if len(refused) == 0 {
			return nil
		}

		// The holders of the refused rows' codes: committed before this
		// statement, or saved above.
		rows, err = tx.Query(ctx, `
			SELECT r.ord, h.*
			FROM unnest($1::int[]) AS r(ord)
			JOIN placements_in t ON t.ord = r.ord
			CROSS JOIN LATERAL (
				SELECT `+placementColumns+` FROM placements p
				WHERE p.national_id = t.national_id AND p.program_year = t.program_year AND p.withdrawn_at IS NULL
			) h`, refused)
		if err != nil {
			return err
		}
		var (
			ord    int32
			found  = make(map[int32]bool, len(refused))
			others struct { // refused by another agency's record
				ords    []int32
				holders []int64
			}
		)
		for rows.Next() {
			h, err := db.scanPlacement(scanAround{row: rows, before: []any{&ord}})
			if err != nil {
				rows.Close()
				return err
			}
			p := ps[ord]
			found[ord] = true
			d := &domain.Duplicate{Existing: h, SameAgency: h.AgencyID == p.AgencyID}
			out[ord].Duplicate = d
			if !d.SameAgency {
				others.ords = append(others.ords, ord)
				others.holders = append(others.holders, h.ID)
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if len(others.ords) > 0 {
			// The attempt takes the row's code, year, agency and liaison
			// from the staging table.
			_, err := tx.Exec(ctx, `
				INSERT INTO duplicate_attempts (national_id, program_year, agency_id, liaison_id, holder_id, at)
				SELECT t.national_id, t.program_year, t.agency_id, t.liaison_id, r.holder, $3
				FROM unnest($1::int[], $2::bigint[]) AS r(ord, holder)
				JOIN placements_in t ON t.ord = r.ord
				ORDER BY r.ord`,
				others.ords, others.holders, now)
			if err != nil {
				return agencyNotFound(err)
			}
		}

		// Rows whose holder was withdrawn since it refused them go again.
		var again []int32
		for _, i := range refused {
			if !found[i] {
				again = append(again, i)
			}
		}
		if len(again) == 0 {
			return nil
		}
		pending = again
		if try >= maxTries {
			return errors.New("national code holders keep vanishing")
		}
	}
}
