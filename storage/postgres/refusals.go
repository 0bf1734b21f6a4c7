package postgres

import (
	"context"
	"fmt"
	"time"
)

// Refusal is an action refused to a user for lack of the role or agency.
type Refusal struct {
	TelegramID int64
	Action     string
	At         time.Time
}

// RecordRefusal keeps an audit row of an action refused to telegramID.
func (db *DB) RecordRefusal(ctx context.Context, telegramID int64, action string, at time.Time) error {
	if _, err := db.pool.Exec(ctx, `INSERT INTO refusals (telegram_id, action, at) VALUES ($1, $2, $3)`, telegramID, action, at); err != nil {
		return fmt.Errorf("postgres: record refusal: %w", err)
	}
	return nil
}

// Refusals lists the refusals from since on, oldest first.
func (db *DB) Refusals(ctx context.Context, since time.Time) ([]Refusal, error) {
	rows, err := db.pool.Query(ctx, `SELECT telegram_id, action, at FROM refusals WHERE at >= $1 ORDER BY at, id`, since)
	if err != nil {
		return nil, fmt.Errorf("postgres: refusals: %w", err)
	}
	defer rows.Close()
	var out []Refusal
	for rows.Next() {
		var r Refusal
		if err := rows.Scan(&r.TelegramID, &r.Action, &r.At); err != nil {
			return nil, fmt.Errorf("postgres: refusals: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
