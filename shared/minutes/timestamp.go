package minutes

import (
	"fmt"
	"strconv"
	"time"
)

// FormatTimestamp formats an offset into the meeting as "HH:MM:SS" (hours zero-padded to
// two digits, more when needed), the form the minutes model uses for "at". Fractions of a
// second are truncated and negative offsets format as "00:00:00".
func FormatTimestamp(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	secs := int64(d / time.Second)
	h, m, s := secs/3600, secs/60%60, secs%60
	b := make([]byte, 0, 8)
	if h < 10 {
		b = append(b, '0')
	}
	b = strconv.AppendInt(b, h, 10)
	b = append(b, ':', byte('0'+m/10), byte('0'+m%10), ':', byte('0'+s/10), byte('0'+s%10))
	return string(b)
}

// ParseTimestamp parses an offset written "HH:MM:SS" or "MM:SS", each optionally followed
// by a fraction of a second (".5", ".250"), as [FormatTimestamp] writes it or a model
// quotes it. Seconds must be below 60; so must minutes when hours are given. Hours and
// minutes need not be zero-padded ("1:02:03", "2:05"), and minutes in "MM:SS" may exceed
// 59 ("75:30" is 1h15m30s).
func ParseTimestamp(s string) (time.Duration, error) {
	c, n, ok := scanClock(s, false)
	if !ok || n != len(s) || c.neg || c.s > 59 || (c.parts == 3 && c.m > 59) {
		return 0, fmt.Errorf("parse timestamp %q: want HH:MM:SS or MM:SS", s)
	}
	return c.duration(), nil
}

// clock is a timestamp shaped [-][H+:]M+:S+[.F+], as scanned by scanClock.
type clock struct {
	neg     bool
	parts   int   // 2 for M:S, 3 for H:M:S
	h, m, s int64 // h is 0 when parts is 2
	frac    time.Duration
	hasFrac bool
}

// Bounds that keep every clock well inside time.Duration's range (about 292 years).
const (
	maxClockHours = 1_000_000  // 114 years
	maxClockField = 10_000_000 // minutes or seconds: 19 years at most
)

// duration returns the clock as a duration; a negative clock is returned negative.
func (c clock) duration() time.Duration {
	d := time.Duration(c.h)*time.Hour + time.Duration(c.m)*time.Minute +
		time.Duration(c.s)*time.Second + c.frac
	if c.neg {
		return -d
	}
	return d
}

// scanClock parses the clock at the start of b and returns it with the number of bytes it
// used. Fields are unpadded digit runs; the fraction may have any number of digits (those
// beyond nanoseconds are ignored) and, with comma, may follow ',' as in SRT.
func scanClock[T string | []byte](b T, comma bool) (clock, int, bool) {
	var c clock
	i := 0
	if i < len(b) && b[i] == '-' {
		c.neg = true
		i++
	}
	var fields [3]int64
	n := 0
	for {
		j := i
		var v int64
		for j < len(b) && '0' <= b[j] && b[j] <= '9' {
			if v > maxClockField {
				return c, 0, false
			}
			v = v*10 + int64(b[j]-'0')
			j++
		}
		if j == i {
			return c, 0, false
		}
		fields[n] = v
		n++
		i = j
		if n < 3 && i+1 < len(b) && b[i] == ':' && '0' <= b[i+1] && b[i+1] <= '9' {
			i++
			continue
		}
		break
	}
	switch n {
	case 2:
		c.parts, c.m, c.s = 2, fields[0], fields[1]
	case 3:
		c.parts, c.h, c.m, c.s = 3, fields[0], fields[1], fields[2]
	default:
		return c, 0, false
	}
	if c.h > maxClockHours || c.m > maxClockField || c.s > maxClockField {
		return c, 0, false
	}
	if i+1 < len(b) && (b[i] == '.' || comma && b[i] == ',') && '0' <= b[i+1] && b[i+1] <= '9' {
		i++
		c.hasFrac = true
		scale := time.Duration(100_000_000)
		for ; i < len(b) && '0' <= b[i] && b[i] <= '9'; i++ {
			c.frac += time.Duration(b[i]-'0') * scale
			scale /= 10
		}
	}
	return c, i, true
}
