package sqlite

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/satsrail/satsrail/internal/gateway"
)

// Column converters. Each is a driver.Valuer for writing and, through a
// pointer conversion such as (*timeCol)(&s.CreatedAt), an sql.Scanner for
// reading, so the row code of every table stays one line per column.

// timeCol stores a time as INTEGER unix microseconds; the zero time is NULL.
// Times read back in UTC.
type timeCol time.Time

func (t timeCol) Value() (driver.Value, error) {
	if time.Time(t).IsZero() {
		return nil, nil
	}
	return time.Time(t).UnixMicro(), nil
}

func (t *timeCol) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*t = timeCol{}
	case int64:
		*t = timeCol(time.UnixMicro(v).UTC())
	default:
		return fmt.Errorf("time column holds %T, want INTEGER", src)
	}
	return nil
}

// storedTime returns t as a timeCol reads it back.
func storedTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return time.UnixMicro(t.UnixMicro()).UTC()
}

// durationCol stores a duration as INTEGER microseconds.
type durationCol time.Duration

func (d durationCol) Value() (driver.Value, error) { return time.Duration(d).Microseconds(), nil }

func (d *durationCol) Scan(src any) error {
	v, ok := src.(int64)
	if !ok {
		return fmt.Errorf("duration column holds %T, want INTEGER", src)
	}
	*d = durationCol(time.Duration(v) * time.Microsecond)
	return nil
}

// nullText stores "" as NULL, for optional values under a unique index or a
// foreign key.
type nullText string

func (s nullText) Value() (driver.Value, error) {
	if s == "" {
		return nil, nil
	}
	return string(s), nil
}

func (s *nullText) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*s = ""
	case string:
		*s = nullText(v)
	default:
		return fmt.Errorf("text column holds %T, want TEXT", src)
	}
	return nil
}

// metadataCol stores metadata as a JSON object; nil is written as {} and
// every value reads back as a non-nil map.
type metadataCol map[string]string

func (m metadataCol) Value() (driver.Value, error) {
	if m == nil {
		return "{}", nil
	}
	b, err := json.Marshal(map[string]string(m))
	return string(b), err
}

func (m *metadataCol) Scan(src any) error {
	s, ok := src.(string)
	if !ok {
		return fmt.Errorf("metadata column holds %T, want TEXT", src)
	}
	*m = metadataCol{}
	return json.Unmarshal([]byte(s), (*map[string]string)(m))
}

// lineItemJSON is a line item's stored form. Its field names are the storage
// format, so they are spelled out here rather than taken from the Go type.
type lineItemJSON struct {
	ProductID       string `json:"product_id,omitempty"`
	Name            string `json:"name"`
	UnitAmountCents int64  `json:"unit_amount_cents"`
	Quantity        int64  `json:"quantity"`
}

// lineItemsCol stores line items as a JSON array; none is [] and reads back
// as nil.
type lineItemsCol []gateway.LineItem

func (l lineItemsCol) Value() (driver.Value, error) {
	rows := make([]lineItemJSON, len(l))
	for i, li := range l {
		rows[i] = lineItemJSON{ProductID: li.ProductID, Name: li.Name, UnitAmountCents: int64(li.UnitAmountCents), Quantity: li.Quantity}
	}
	b, err := json.Marshal(rows)
	return string(b), err
}

func (l *lineItemsCol) Scan(src any) error {
	s, ok := src.(string)
	if !ok {
		return fmt.Errorf("line_items column holds %T, want TEXT", src)
	}
	var rows []lineItemJSON
	if err := json.Unmarshal([]byte(s), &rows); err != nil {
		return err
	}
	*l = nil
	for _, r := range rows {
		*l = append(*l, gateway.LineItem{ProductID: r.ProductID, Name: r.Name, UnitAmountCents: gateway.Cents(r.UnitAmountCents), Quantity: r.Quantity})
	}
	return nil
}

// scanner makes a row scanning function from one that lists the scan
// destinations of a T's columns, in the order of the table's column list.
func scanner[T any](dests func(*T) []any) func(rowScanner) (T, error) {
	return func(r rowScanner) (T, error) {
		var v T
		err := r.Scan(dests(&v)...)
		return v, err
	}
}

// Statement builders for a table whose columns are listed once, as a
// comma-separated string shared by INSERT, UPDATE and SELECT.

func insertSQL(table, columns string) string {
	n := len(strings.Split(columns, ","))
	return "INSERT INTO " + table + " (" + columns + ") VALUES (" + strings.Repeat("?, ", n-1) + "?)"
}

// updateSQL sets every column from the arguments in order, then takes the id
// of the row to update as the last argument.
func updateSQL(table, columns string) string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = strings.TrimSpace(c) + " = ?"
	}
	return "UPDATE " + table + " SET " + strings.Join(cols, ", ") + " WHERE id = ?"
}

// qualify prefixes each column with a table alias, for joins.
func qualify(alias, columns string) string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = alias + "." + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}

// eventTypesCol stores an endpoint's event filter comma-wrapped,
// ",checkout.completed,checkout.expired,", so a substring search finds the
// endpoints that want a type (subscribedTo); none is "" and reads back as nil.
type eventTypesCol []gateway.EventType

func (c eventTypesCol) Value() (driver.Value, error) {
	if len(c) == 0 {
		return "", nil
	}
	var b strings.Builder
	b.WriteByte(',')
	for _, t := range c {
		if t == "" || strings.Contains(string(t), ",") {
			return nil, fmt.Errorf("event type %q cannot be stored in a filter", t)
		}
		b.WriteString(string(t))
		b.WriteByte(',')
	}
	return b.String(), nil
}

func (c *eventTypesCol) Scan(src any) error {
	s, ok := src.(string)
	if !ok {
		return fmt.Errorf("events column holds %T, want TEXT", src)
	}
	*c = nil
	for t := range strings.SplitSeq(strings.Trim(s, ","), ",") {
		if t != "" {
			*c = append(*c, gateway.EventType(t))
		}
	}
	return nil
}

// subscribedTo returns the condition, on a webhook_endpoints row, that it
// wants events of type t, and its argument: the filter is empty or holds
// ",t,". instr matches exactly, where LIKE would ignore ASCII case and need
// _ and % escaped (PostgreSQL's strpos is the same test).
func subscribedTo(t gateway.EventType) (string, any) {
	return "(events = '' OR instr(events, ?) > 0)", "," + string(t) + ","
}

// originsCol stores a merchant's allowed origins separated by spaces (an
// origin has none); none is "" and reads back as an empty, non-nil list.
type originsCol []string

func (o originsCol) Value() (driver.Value, error) { return strings.Join(o, " "), nil }

func (o *originsCol) Scan(src any) error {
	s, ok := src.(string)
	if !ok {
		return fmt.Errorf("origins column holds %T, want TEXT", src)
	}
	*o = strings.Fields(s)
	if *o == nil {
		*o = originsCol{}
	}
	return nil
}
