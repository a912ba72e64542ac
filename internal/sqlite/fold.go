package sqlite

import (
	"database/sql/driver"
	"strings"

	"modernc.org/sqlite"
)

// newDriver is the driver of every connection: SQLite with satsrail_lower.
//
// satsrail_lower(x) is x in lower case by Unicode's simple case mapping, as
// PostgreSQL's lower() and ILIKE fold it in a UTF-8 locale. SQLite's own
// LIKE and lower() fold ASCII letters only, so a product filter of "éclair"
// missed "Éclair" on SQLite and found it on PostgreSQL (FuzzEnginesAgree).
func newDriver() *sqlite.Driver {
	d := &sqlite.Driver{}
	err := d.RegisterDeterministicScalarFunction("satsrail_lower", 1,
		func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
			switch v := args[0].(type) {
			case string:
				return strings.ToLower(v), nil
			case []byte:
				return strings.ToLower(string(v)), nil
			}
			return args[0], nil
		})
	if err != nil {
		panic(err) // only a name registered twice on this new driver
	}
	return d
}
