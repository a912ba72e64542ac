package postgres

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/satsrail/satsrail/internal/gateway"
)

// defaultPerPage is the page size when a list asks for none (SPEC §2).
const defaultPerPage = 25

// conds collects the WHERE conditions of a list query and their arguments.
type conds struct {
	where []string
	args  []any
}

// scoped starts the conditions of a list in scope.
func scoped(scope gateway.Scope) *conds {
	return &conds{where: []string{"merchant_id = $1", "mode = $2"}, args: []any{scope.MerchantID, scope.Mode}}
}

// add appends a condition when the filter value is set. Each ? in cond
// stands for the next of args and becomes its numbered placeholder.
func (c *conds) add(set bool, cond string, args ...any) {
	if !set {
		return
	}
	var b strings.Builder
	for i, part := range strings.Split(cond, "?") {
		if i > 0 {
			c.args = append(c.args, args[i-1])
			b.WriteString("$" + strconv.Itoa(len(c.args)))
		}
		b.WriteString(part)
	}
	c.where = append(c.where, b.String())
}

// next returns the placeholder of the argument after c's.
func (c *conds) next(n int) string { return "$" + strconv.Itoa(len(c.args)+n) }

// created bounds created_at, both ends inclusive.
func (c *conds) created(r gateway.TimeRange) {
	c.add(!r.From.IsZero(), "created_at >= ?", timeCol(r.From))
	c.add(!r.To.IsZero(), "created_at <= ?", timeCol(r.To))
}

func (c *conds) whereSQL() string { return " WHERE " + strings.Join(c.where, " AND ") }

// listQuery names a table, its columns and how to scan one of its rows.
type listQuery[T any] struct {
	table   string
	columns string
	scan    func(rowScanner) (T, error)
}

// run returns one page of the rows matching c, newest first, and their total.
// One snapshot keeps the count and the page consistent.
func (l listQuery[T]) run(ctx context.Context, s *Store, scope gateway.Scope, c *conds, p gateway.Page) (gateway.List[T], error) {
	var out gateway.List[T]
	err := s.read(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM "+l.table+c.whereSQL(), c.args...).Scan(&out.TotalCount); err != nil {
			return err
		}
		perPage := p.PerPage
		if perPage <= 0 {
			perPage = defaultPerPage
		}
		offset := 0
		if p.StartingAfter != "" {
			if err := l.after(ctx, tx, scope, c, p.StartingAfter); err != nil {
				return err
			}
		} else if p.Page > 1 {
			offset = (p.Page - 1) * perPage
		}
		q := "SELECT " + l.columns + " FROM " + l.table + c.whereSQL() +
			" ORDER BY created_at DESC, id DESC LIMIT " + c.next(1) + " OFFSET " + c.next(2)
		rows, err := tx.Query(ctx, q, append(c.args, perPage+1, offset)...)
		items, err := scanAll(rows, err, l.scan)
		if err != nil {
			return err
		}
		if len(items) > perPage {
			items, out.HasMore = items[:perPage], true
		}
		out.Items = items
		return nil
	})
	return out, err
}

// after restricts c to the rows after the cursor object, which must be in
// scope (though it need not match the filter).
func (l listQuery[T]) after(ctx context.Context, tx pgx.Tx, scope gateway.Scope, c *conds, id string) error {
	var created time.Time
	err := tx.QueryRow(ctx, "SELECT created_at FROM "+l.table+" WHERE merchant_id = $1 AND mode = $2 AND id = $3",
		scope.MerchantID, scope.Mode, id).Scan(&created)
	if errors.Is(err, pgx.ErrNoRows) {
		return &gateway.Error{Code: gateway.CodeValidation, Message: "starting_after does not name an object in this list",
			Fields: []gateway.FieldError{{Field: "starting_after", Message: "no such object"}}}
	}
	if err != nil {
		return err
	}
	c.add(true, "(created_at, id) < (?, ?)", created, id)
	return nil
}

// scanAll scans every row of rows with scan.
func scanAll[T any](rows pgx.Rows, err error, scan func(rowScanner) (T, error)) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		item, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, item)
	}
	return out, rows.Err()
}

// scanString scans a row of one text column.
func scanString(r rowScanner) (s string, err error) { return s, r.Scan(&s) }
