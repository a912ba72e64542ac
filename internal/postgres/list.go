package postgres

import (
	"context"
	"errors"
	"slices"
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
	scope gateway.Scope
	where []string
	args  []any
	// What a counted list's total needs (see listQuery.total): its status
	// filter and created range, and whether any other filter is set, which
	// the counts cannot answer.
	status    string
	createdIn gateway.TimeRange
	uncounted bool
}

// scoped starts the conditions of a list in scope.
func scoped(scope gateway.Scope) *conds {
	return &conds{scope: scope, where: []string{"merchant_id = $1", "mode = $2"}, args: []any{scope.MerchantID, scope.Mode}}
}

// add appends a condition when the filter value is set. Each ? in cond
// stands for the next of args and becomes its numbered placeholder.
func (c *conds) add(set bool, cond string, args ...any) {
	if set {
		c.push(cond, args...)
		c.uncounted = true
	}
}

// push appends a condition unconditionally, leaving c countable.
func (c *conds) push(cond string, args ...any) {
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

// statusIs filters on status when s is set.
func (c *conds) statusIs(s string) {
	if s != "" {
		c.push("status = ?", s)
		c.status = s
	}
}

// created bounds created_at, both ends inclusive.
func (c *conds) created(r gateway.TimeRange) {
	if !r.From.IsZero() {
		c.push("created_at >= ?", timeCol(r.From))
	}
	if !r.To.IsZero() {
		c.push("created_at <= ?", timeCol(r.To))
	}
	c.createdIn = r
}

func (c *conds) whereSQL() string { return " WHERE " + strings.Join(c.where, " AND ") }

// listQuery names a table, its columns and how to scan one of its rows.
type listQuery[T any] struct {
	table   string
	columns string
	scan    func(rowScanner) (T, error)
	// counted says migration 0005's counts (list_counts, list_totals) keep
	// the table's rows, so totals under status and created filters need not
	// count them.
	counted bool
	// order is the sort key, newest first, when it is not (created_at, id):
	// columns that together name one row (the events list sorts by commit
	// order, events.go).
	order []string
}

// orderBy is l's sort key.
func (l listQuery[T]) orderBy() []string {
	if l.order != nil {
		return l.order
	}
	return []string{"created_at", "id"}
}

// run returns one page of the rows matching c, newest first, and their total.
// One snapshot keeps the count and the page consistent.
func (l listQuery[T]) run(ctx context.Context, s *Store, scope gateway.Scope, c *conds, p gateway.Page) (gateway.List[T], error) {
	var out gateway.List[T]
	err := s.read(ctx, func(tx pgx.Tx) error {
		q, args := l.total(c)
		if err := tx.QueryRow(ctx, q, args...).Scan(&out.TotalCount); err != nil {
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
		q, args = l.page(c, perPage+1, offset)
		rows, err := tx.Query(ctx, q, args...)
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

// page returns the query of limit rows matching c from offset, newest first.
func (l listQuery[T]) page(c *conds, limit, offset int) (string, []any) {
	return "SELECT " + l.columns + " FROM " + l.table + c.whereSQL() +
			" ORDER BY " + strings.Join(l.orderBy(), " DESC, ") + " DESC LIMIT " + c.next(1) + " OFFSET " + c.next(2),
		append(slices.Clip(c.args), limit, offset)
}

// total returns the query of how many rows match c. COUNT(*) reads every
// matching row, so a counted list filtered by status and created_at only
// counts rows just in the partial UTC days at the ends of the created range;
// the whole days come from the counts (migration 0005): those in the range
// summed from list_counts when it starts somewhere, else list_totals less
// the days after it. The cost is a day's rows and a few rows per day the
// range spans, or per day since its end: never the table's size.
func (l listQuery[T]) total(c *conds) (string, []any) {
	if !l.counted || c.uncounted {
		return "SELECT COUNT(*) FROM " + l.table + c.whereSQL(), c.args
	}
	days := c.createdIn.WholeDays()
	if days.None {
		// A range of under two days: its rows are few.
		return "SELECT COUNT(*) FROM " + l.table + c.whereSQL(), c.args
	}
	// The parts share one list of arguments: each part's conditions number
	// their placeholders on from the previous part's.
	var parts []string
	var args []any
	next := func() *conds { return &conds{args: args} }
	part := func(sign, q string, k *conds) {
		parts, args = append(parts, sign+q), k.args
	}
	counts := func() *conds {
		k := next()
		k.push("list = ?", l.table)
		k.push("merchant_id = ?", c.scope.MerchantID)
		k.push("mode = ?", c.scope.Mode)
		k.statusIs(c.status)
		return k
	}
	if days.HasFirst {
		in := counts()
		in.push("day >= ?", days.First)
		if days.HasLast {
			in.push("day <= ?", days.Last)
		}
		part("", "(SELECT COALESCE(SUM(n), 0) FROM list_counts"+in.whereSQL()+")", in)
	} else {
		all := counts()
		part("", "(SELECT COALESCE(SUM(n), 0) FROM list_totals"+all.whereSQL()+")", all)
		if days.HasLast {
			after := counts()
			after.push("day > ?", days.Last)
			part(" - ", "(SELECT COALESCE(SUM(n), 0) FROM list_counts"+after.whereSQL()+")", after)
		}
	}
	edge := func(from, before int64) {
		e := next()
		e.push("merchant_id = ?", c.scope.MerchantID)
		e.push("mode = ?", c.scope.Mode)
		e.statusIs(c.status)
		e.push("created_at >= ?", time.UnixMicro(from).UTC())
		e.push("created_at < ?", time.UnixMicro(before).UTC())
		part(" + ", "(SELECT COUNT(*) FROM "+l.table+e.whereSQL()+")", e)
	}
	if days.HasFirst && days.Lo < days.First*gateway.DayMicros {
		edge(days.Lo, days.First*gateway.DayMicros)
	}
	if days.HasLast && days.Hi >= (days.Last+1)*gateway.DayMicros {
		edge((days.Last+1)*gateway.DayMicros, days.Hi+1)
	}
	return "SELECT " + strings.Join(parts, ""), args
}

// after restricts c to the rows after the cursor object, which must be in
// scope (though it need not match the filter).
func (l listQuery[T]) after(ctx context.Context, tx pgx.Tx, scope gateway.Scope, c *conds, id string) error {
	if l.order != nil {
		return l.afterKey(ctx, tx, scope, c, id)
	}
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
	c.push("(created_at, id) < (?, ?)", created, id)
	return nil
}

// afterKey restricts c to the rows after the cursor object by l.order.
func (l listQuery[T]) afterKey(ctx context.Context, tx pgx.Tx, scope gateway.Scope, c *conds, id string) error {
	key := strings.Join(l.order, ", ")
	var n int
	if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM "+l.table+" WHERE merchant_id = $1 AND mode = $2 AND id = $3",
		scope.MerchantID, scope.Mode, id).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return noCursor()
	}
	c.push("("+key+") < (SELECT "+key+" FROM "+l.table+" WHERE id = ?)", id)
	return nil
}

// noCursor is the answer to a starting_after that names no object of the list.
func noCursor() error {
	return &gateway.Error{Code: gateway.CodeValidation, Message: "starting_after does not name an object in this list",
		Fields: []gateway.FieldError{{Field: "starting_after", Message: "no such object"}}}
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
