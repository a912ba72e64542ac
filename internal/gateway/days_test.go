package gateway

import (
	"testing"
	"time"
)

func TestWholeDays(t *testing.T) {
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	num := func(t time.Time) int64 { return t.UnixMicro() / DayMicros }
	us := time.Microsecond
	cases := []struct {
		name string
		r    TimeRange
		want DayRange
	}{
		{"open both ends", TimeRange{}, DayRange{}},
		{"from a midnight", TimeRange{From: day(2026, 11, 20)},
			DayRange{Lo: day(2026, 11, 20).UnixMicro(), First: num(day(2026, 11, 20)), HasFirst: true}},
		{"from just after a midnight: that day is partial", TimeRange{From: day(2026, 11, 20).Add(us)},
			DayRange{Lo: day(2026, 11, 20).Add(us).UnixMicro(), First: num(day(2026, 11, 21)), HasFirst: true}},
		{"to the last microsecond of a day", TimeRange{To: day(2026, 11, 21).Add(-us)},
			DayRange{Hi: day(2026, 11, 21).Add(-us).UnixMicro(), Last: num(day(2026, 11, 20)), HasLast: true}},
		{"to a midnight: that day is partial", TimeRange{To: day(2026, 11, 21)},
			DayRange{Hi: day(2026, 11, 21).UnixMicro(), Last: num(day(2026, 11, 20)), HasLast: true}},
		{"inside one day: no whole day", TimeRange{From: day(2026, 11, 20).Add(us), To: day(2026, 11, 21).Add(-us)},
			DayRange{Lo: day(2026, 11, 20).Add(us).UnixMicro(), Hi: day(2026, 11, 21).Add(-us).UnixMicro(),
				First: num(day(2026, 11, 21)), Last: num(day(2026, 11, 20)), HasFirst: true, HasLast: true, None: true}},
		{"before 1970", TimeRange{From: day(1969, 12, 31).Add(us)},
			DayRange{Lo: day(1969, 12, 31).Add(us).UnixMicro(), First: 0, HasFirst: true}},
		{"ending before 1970", TimeRange{To: day(1969, 12, 31)},
			DayRange{Hi: day(1969, 12, 31).UnixMicro(), Last: -2, HasLast: true}},
	}
	for _, c := range cases {
		if got := c.r.WholeDays(); got != c.want {
			t.Errorf("%s: got %+v, want %+v", c.name, got, c.want)
		}
	}
	for _, c := range []struct{ a, b, want int64 }{{7, 2, 3}, {-7, 2, -4}, {-6, 2, -3}, {0, 5, 0}, {-1, 5, -1}} {
		if got := FloorDiv(c.a, c.b); got != c.want {
			t.Errorf("FloorDiv(%d, %d) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}
