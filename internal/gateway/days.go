package gateway

// DayMicros is a UTC day in microseconds (created_at's unit in the stores):
// the bucket of the stores' list counts.
const DayMicros = 24 * 60 * 60 * 1_000_000

// DayRange is the whole UTC days inside a created range [Lo, Hi], in unix
// microseconds, day numbers counted from 1970-01-01. The stores sum their
// per-day counts over First..Last and count rows one by one only in the
// partial days at the ends.
type DayRange struct {
	Lo, Hi            int64 // the range's inclusive ends, when it has them
	First, Last       int64 // the first and last whole day, when bounded
	HasFirst, HasLast bool  // false: open on that side
	None              bool  // no whole day lies in the range
}

// WholeDays returns the whole UTC days inside r; an open end takes every day
// on its side.
func (r TimeRange) WholeDays() DayRange {
	var d DayRange
	if !r.From.IsZero() {
		d.Lo = r.From.UnixMicro()
		d.First, d.HasFirst = -FloorDiv(-d.Lo, DayMicros), true
	}
	if !r.To.IsZero() {
		d.Hi = r.To.UnixMicro()
		d.Last, d.HasLast = FloorDiv(d.Hi+1, DayMicros)-1, true
	}
	d.None = d.HasFirst && d.HasLast && d.First > d.Last
	return d
}

// FloorDiv is a / b rounded down (Go's / rounds toward zero): the day of a
// time before 1970 is negative.
func FloorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
