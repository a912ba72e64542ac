package postgres

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/satsrail/satsrail/internal/gateway"
)

// Column converters. Each is a pgtype valuer for writing and, through a
// pointer conversion such as (*timeCol)(&s.CreatedAt), a pgtype scanner for
// reading, so the row code of every table stays one line per column.

// timeCol stores a time as TIMESTAMPTZ, which keeps microseconds; the zero
// time is NULL. Times read back in UTC, whatever the session's time zone.
type timeCol time.Time

func (t timeCol) TimestamptzValue() (pgtype.Timestamptz, error) {
	if time.Time(t).IsZero() {
		return pgtype.Timestamptz{}, nil
	}
	return pgtype.Timestamptz{Time: time.Time(t), Valid: true}, nil
}

func (t *timeCol) ScanTimestamptz(v pgtype.Timestamptz) error {
	switch {
	case !v.Valid:
		*t = timeCol{}
	case v.InfinityModifier != pgtype.Finite:
		return fmt.Errorf("time column holds %s", v.InfinityModifier)
	default:
		*t = timeCol(v.Time.UTC())
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

// durationCol stores a duration as BIGINT microseconds.
type durationCol time.Duration

func (d durationCol) Int64Value() (pgtype.Int8, error) {
	return pgtype.Int8{Int64: time.Duration(d).Microseconds(), Valid: true}, nil
}

func (d *durationCol) ScanInt64(v pgtype.Int8) error {
	if !v.Valid {
		return fmt.Errorf("duration column holds NULL")
	}
	*d = durationCol(time.Duration(v.Int64) * time.Microsecond)
	return nil
}

// nullText stores "" as NULL, for optional values under a unique index or a
// foreign key.
type nullText string

func (s nullText) TextValue() (pgtype.Text, error) {
	return pgtype.Text{String: string(s), Valid: s != ""}, nil
}

func (s *nullText) ScanText(v pgtype.Text) error {
	*s = nullText(v.String) // "" when NULL
	return nil
}

// nullBytes stores an empty byte slice as NULL, for optional blobs.
type nullBytes []byte

func (b nullBytes) BytesValue() ([]byte, error) {
	if len(b) == 0 {
		return nil, nil
	}
	return b, nil
}

// bytesText reads a BYTEA column into a string, for bytes that are shown as
// text but need not be valid UTF-8.
type bytesText string

func (s *bytesText) ScanBytes(v []byte) error {
	*s = bytesText(v) // copies: v is only valid until the next read
	return nil
}

// metadataCol stores metadata as a JSONB object; nil is written as {} and
// every value reads back as a non-nil map. Write it through metadataArg.
type metadataCol map[string]string

// metadataArg is m as an argument. pgx sends a nil map as NULL without asking
// its MarshalJSON, so nil becomes an empty map here.
func metadataArg(m map[string]string) metadataCol {
	if m == nil {
		return metadataCol{}
	}
	return m
}

func (m metadataCol) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string(metadataArg(m)))
}

func (m *metadataCol) UnmarshalJSON(b []byte) error {
	out := map[string]string{}
	if err := json.Unmarshal(b, &out); err != nil {
		return err
	}
	*m = out
	return nil
}

// lineItemJSON is a line item's stored form. Its field names are the storage
// format, so they are spelled out here rather than taken from the Go type.
type lineItemJSON struct {
	ProductID       string `json:"product_id,omitempty"`
	Name            string `json:"name"`
	UnitAmountCents int64  `json:"unit_amount_cents"`
	Quantity        int64  `json:"quantity"`
}

// lineItemsCol stores line items as a JSONB array; none is [] and reads back
// as nil. Write it through lineItemsArg.
type lineItemsCol []gateway.LineItem

// lineItemsArg is items as an argument: never nil, which pgx sends as NULL.
func lineItemsArg(items []gateway.LineItem) lineItemsCol {
	if items == nil {
		return lineItemsCol{}
	}
	return items
}

func (l lineItemsCol) MarshalJSON() ([]byte, error) {
	rows := make([]lineItemJSON, len(l))
	for i, li := range l {
		rows[i] = lineItemJSON{ProductID: li.ProductID, Name: li.Name, UnitAmountCents: int64(li.UnitAmountCents), Quantity: li.Quantity}
	}
	return json.Marshal(rows)
}

func (l *lineItemsCol) UnmarshalJSON(b []byte) error {
	var rows []lineItemJSON
	if err := json.Unmarshal(b, &rows); err != nil {
		return err
	}
	*l = nil
	for _, r := range rows {
		*l = append(*l, gateway.LineItem{ProductID: r.ProductID, Name: r.Name, UnitAmountCents: gateway.Cents(r.UnitAmountCents), Quantity: r.Quantity})
	}
	return nil
}

// eventTypesCol stores an endpoint's event filter as a TEXT[]; none is the
// empty array (never NULL) and reads back as nil. Write it through
// eventTypesArg.
type eventTypesCol []gateway.EventType

// eventTypesArg is ts as an argument: never nil, which pgx sends as NULL.
func eventTypesArg(ts []gateway.EventType) eventTypesCol {
	if ts == nil {
		return eventTypesCol{}
	}
	return ts
}

func (c eventTypesCol) Dimensions() []pgtype.ArrayDimension {
	return []pgtype.ArrayDimension{{Length: int32(len(c)), LowerBound: 1}}
}

func (c eventTypesCol) Index(i int) any { return string(c[i]) }

func (c eventTypesCol) IndexType() any { return "" }

func (c *eventTypesCol) SetDimensions(dims []pgtype.ArrayDimension) error {
	*c = nil
	if len(dims) == 0 {
		return nil
	}
	if len(dims) > 1 {
		return fmt.Errorf("events column holds a %d-dimensional array", len(dims))
	}
	if n := dims[0].Length; n > 0 {
		*c = make(eventTypesCol, n)
	}
	return nil
}

func (c *eventTypesCol) ScanIndex(i int) any { return (*string)(&(*c)[i]) }

func (c *eventTypesCol) ScanIndexType() any { return new(string) }

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
	return "INSERT INTO " + table + " (" + columns + ") VALUES (" + placeholders(1, n) + ")"
}

// updateSQL sets every column from the arguments in order, then takes the id
// of the row to update as the last argument.
func updateSQL(table, columns string) string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = strings.TrimSpace(c) + " = $" + strconv.Itoa(i+1)
	}
	return "UPDATE " + table + " SET " + strings.Join(cols, ", ") + " WHERE id = $" + strconv.Itoa(len(cols)+1)
}

// placeholders returns "$from, ..., $(from+n-1)".
func placeholders(from, n int) string {
	ps := make([]string, n)
	for i := range ps {
		ps[i] = "$" + strconv.Itoa(from+i)
	}
	return strings.Join(ps, ", ")
}

// qualify prefixes each column with a table alias, for joins.
func qualify(alias, columns string) string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = alias + "." + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}

// limitArg is the argument of a LIMIT: a limit ≤ 0 means none, which
// PostgreSQL spells LIMIT NULL.
func limitArg(limit int) any {
	if limit <= 0 {
		return nil
	}
	return limit
}

// originsCol reads a merchant's allowed origins, stored separated by spaces
// (an origin has none); none is "" and reads back as an empty, non-nil
// list. They are written as strings.Join(origins, " "): pgx would send a
// nil slice of this type as NULL without asking it.
type originsCol []string

func (o *originsCol) ScanText(v pgtype.Text) error {
	if !v.Valid {
		return fmt.Errorf("origins column holds NULL")
	}
	*o = strings.Fields(v.String)
	if *o == nil {
		*o = originsCol{}
	}
	return nil
}
