package generate

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// Due is a due date found in a sentence by [ResolveDue].
type Due struct {
	// Date is the resolved calendar date, "YYYY-MM-DD".
	Date string
	// Phrase is the words that said it, verbatim from the text, with a leading "by", "on",
	// "until", "before", "due" or "no later than" when there is one; Start and End are its
	// byte offsets in the text.
	Phrase     string
	Start, End int
}

// ResolveDue finds the first due-date phrase in text and resolves it against meeting, the
// meeting's start in its own time zone (only its date is used). It understands:
//
//   - "today", "tonight", "end of day", "EOD"; "tomorrow"; "the day after tomorrow";
//   - a weekday ("by Friday", "on Monday"): the next such day after the meeting date;
//     "this Friday": that day of the meeting's week (Monday to Sunday), or the next one if
//     it has passed; "next Friday": that day of the following week;
//   - "end of (the) week", "this week", "EOW": the week's Friday (next Friday on a weekend);
//     "next week", "end of next week": the following week's Friday; "early next week",
//     "beginning of next week": the following Monday;
//   - "end of (the) month", "this month", "EOM": the month's last day; "next month", "end of
//     next month": the next month's last day; "beginning/start of next month": its first;
//   - "end of (the) quarter", "end of (the) year";
//   - "in 3 days", "in two weeks", "within a week", "in a couple of days" (two);
//   - dates: "3 March", "3rd of March", "March 3", "March 3rd", with an optional year
//     ("March 3, 2027"); without one, the next such date on or after the meeting date;
//     "the 15th": that day of this month, or of the next if it has passed; ISO
//     "2026-03-20".
//
// With a zero meeting time only ISO dates and dates with a year resolve. ok is false when
// the text holds no phrase it understands, or names an impossible date (30 February).
func ResolveDue(text string, meeting time.Time) (d Due, ok bool) {
	toks := dueTokens(text)
	var day time.Time
	if !meeting.IsZero() {
		day = time.Date(meeting.Year(), meeting.Month(), meeting.Day(), 0, 0, 0, 0, time.UTC)
	}
	for i := range toks {
		date, n, found := matchDue(toks, i, day)
		if !found {
			continue
		}
		first, last := i, i+n-1
		// Take in a leading preposition ("by", "at the") and a trailing part of the day.
		switch {
		case i >= 3 && toks[i-3].w == "no" && toks[i-2].w == "later" && toks[i-1].w == "than":
			first = i - 3
		case i >= 2 && toks[i-1].w == "the" && (isDuePrep(toks[i-2].w) || toks[i-2].w == "at"):
			first = i - 2
		case i >= 1 && isDuePrep(toks[i-1].w):
			first = i - 1
		}
		if last+1 < len(toks) {
			switch toks[last+1].w {
			case "morning", "afternoon", "evening", "night", "noon", "lunchtime", "eod":
				last++
			}
		}
		start, end := toks[first].start, toks[last].end
		return Due{Date: date.Format(time.DateOnly), Phrase: text[start:end], Start: start, End: end}, true
	}
	return Due{}, false
}

func isDuePrep(w string) bool {
	switch w {
	case "by", "on", "until", "till", "before", "due", "for":
		return true
	}
	return false
}

// dueToken is a lower-cased word (ASCII letters and digits; an ISO date is one token) and
// its byte offsets in the text.
type dueToken struct {
	w          string
	start, end int
}

// dueTokens splits text into words: runs of ASCII letters and digits, where a run of
// digits-dash-digits-dash-digits is one token (an ISO date). Everything else separates.
func dueTokens(text string) []dueToken {
	var toks []dueToken
	buf := make([]byte, 0, 16)
	for i := 0; i < len(text); {
		c := text[i]
		if !isAlnum(c) {
			if c >= utf8.RuneSelf {
				_, size := utf8.DecodeRuneInString(text[i:])
				i += size
			} else {
				i++
			}
			continue
		}
		start := i
		buf = buf[:0]
		for i < len(text) && (isAlnum(text[i]) || text[i] == '-' && i+1 < len(text) && isDigit(text[i+1]) && i > start && isDigit(text[i-1])) {
			c := text[i]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			buf = append(buf, c)
			i++
		}
		toks = append(toks, dueToken{w: string(buf), start: start, end: i})
	}
	return toks
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

var weekdays = map[string]time.Weekday{
	"monday": time.Monday, "tuesday": time.Tuesday, "wednesday": time.Wednesday,
	"thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday, "sunday": time.Sunday,
}

var months = map[string]time.Month{
	"january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
	"may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
	"september": 9, "sep": 9, "sept": 9, "october": 10, "oct": 10, "november": 11, "nov": 11,
	"december": 12, "dec": 12,
}

var smallNumbers = map[string]int{
	"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
	"seven": 7, "eight": 8, "nine": 9, "ten": 10, "couple": 2,
}

// matchDue tries to read a due-date phrase starting at toks[i]; n is how many tokens it
// took. day is the meeting date at midnight UTC, zero when unknown.
func matchDue(toks []dueToken, i int, day time.Time) (date time.Time, n int, ok bool) {
	w := func(k int) string {
		if i+k < len(toks) {
			return toks[i+k].w
		}
		return ""
	}
	// seq reports whether the words from i on are ws, skipping one optional "the" after "of".
	seq := func(ws ...string) (int, bool) {
		k := 0
		for _, x := range ws {
			if x == "the?" {
				if w(k) == "the" {
					k++
				}
				continue
			}
			if w(k) != x {
				return 0, false
			}
			k++
		}
		return k, true
	}
	known := !day.IsZero()

	// Absolute dates first: they need no meeting date.
	if y, m, d, ok := parseISODate(w(0)); ok {
		if t, ok := civil(y, time.Month(m), d); ok {
			return t, 1, true
		}
		return time.Time{}, 0, false
	}
	if d, ok := dayOfMonth(w(0)); ok {
		// "3 March", "3rd of March", "3rd March 2027"
		k := 1
		if w(k) == "of" {
			k++
		}
		if m, isMonth := months[w(k)]; isMonth {
			k++
			return resolveMonthDay(day, m, d, w(k), k)
		}
	}
	if m, isMonth := months[w(0)]; isMonth {
		// "March 3", "March 3rd", "March the 3rd", "March 3, 2027"
		k := 1
		if w(k) == "the" {
			k++
		}
		if d, ok := dayOfMonth(w(k)); ok {
			k++
			return resolveMonthDay(day, m, d, w(k), k)
		}
	}
	if !known {
		return time.Time{}, 0, false
	}
	wd := int(day.Weekday()+6) % 7 // Monday = 0
	monday := day.AddDate(0, 0, -wd)
	weekFriday := func(weeks int) time.Time {
		f := monday.AddDate(0, 0, 4+7*weeks)
		if weeks == 0 && f.Before(day) {
			f = f.AddDate(0, 0, 7)
		}
		return f
	}
	monthEnd := func(months int) time.Time {
		return time.Date(day.Year(), day.Month()+time.Month(months)+1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -1)
	}

	switch w(0) {
	case "today", "tonight", "eod", "cob":
		return day, 1, true
	case "tomorrow":
		return day.AddDate(0, 0, 1), 1, true
	case "eow":
		return weekFriday(0), 1, true
	case "eom":
		return monthEnd(0), 1, true
	}
	if k, ok := seq("day", "after", "tomorrow"); ok {
		return day.AddDate(0, 0, 2), k, true
	}
	if wday, ok := weekdays[w(0)]; ok {
		if i > 0 && (toks[i-1].w == "last" || toks[i-1].w == "next" || toks[i-1].w == "this") {
			return time.Time{}, 0, false // read with its qualifier, from that token
		}
		ahead := (int(wday) - int(day.Weekday()) + 7) % 7
		if ahead == 0 {
			ahead = 7
		}
		return day.AddDate(0, 0, ahead), 1, true
	}
	if w(0) == "this" || w(0) == "next" {
		if wday, ok := weekdays[w(1)]; ok {
			target := monday.AddDate(0, 0, (int(wday)+6)%7)
			if w(0) == "next" {
				target = target.AddDate(0, 0, 7)
			} else if target.Before(day) {
				target = target.AddDate(0, 0, 7)
			}
			return target, 2, true
		}
	}
	for _, p := range []struct {
		words []string
		date  func() time.Time
	}{
		{[]string{"end", "of", "the?", "day"}, func() time.Time { return day }},
		{[]string{"end", "of", "today"}, func() time.Time { return day }},
		{[]string{"close", "of", "business"}, func() time.Time { return day }},
		{[]string{"end", "of", "next", "week"}, func() time.Time { return weekFriday(1) }},
		{[]string{"end", "of", "the?", "week"}, func() time.Time { return weekFriday(0) }},
		{[]string{"end", "of", "this", "week"}, func() time.Time { return weekFriday(0) }},
		{[]string{"early", "next", "week"}, func() time.Time { return monday.AddDate(0, 0, 7) }},
		{[]string{"beginning", "of", "next", "week"}, func() time.Time { return monday.AddDate(0, 0, 7) }},
		{[]string{"start", "of", "next", "week"}, func() time.Time { return monday.AddDate(0, 0, 7) }},
		{[]string{"this", "week"}, func() time.Time { return weekFriday(0) }},
		{[]string{"next", "week"}, func() time.Time { return weekFriday(1) }},
		{[]string{"end", "of", "next", "month"}, func() time.Time { return monthEnd(1) }},
		{[]string{"end", "of", "the?", "month"}, func() time.Time { return monthEnd(0) }},
		{[]string{"end", "of", "this", "month"}, func() time.Time { return monthEnd(0) }},
		{[]string{"beginning", "of", "next", "month"}, func() time.Time { return monthEnd(0).AddDate(0, 0, 1) }},
		{[]string{"start", "of", "next", "month"}, func() time.Time { return monthEnd(0).AddDate(0, 0, 1) }},
		{[]string{"this", "month"}, func() time.Time { return monthEnd(0) }},
		{[]string{"next", "month"}, func() time.Time { return monthEnd(1) }},
		{[]string{"end", "of", "the?", "quarter"}, func() time.Time {
			q := (int(day.Month())-1)/3*3 + 3 // last month of the quarter
			return time.Date(day.Year(), time.Month(q)+1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -1)
		}},
		{[]string{"end", "of", "the?", "year"}, func() time.Time { return time.Date(day.Year(), 12, 31, 0, 0, 0, 0, time.UTC) }},
	} {
		if k, ok := seq(p.words...); ok {
			return p.date(), k, true
		}
	}
	// "in 3 days", "within two weeks", "in a couple of days", "in a week"
	if w(0) == "in" || w(0) == "within" {
		k := 1
		num, isNum := smallNumbers[w(k)]
		if !isNum {
			if v, err := strconv.Atoi(w(k)); err == nil && v > 0 && v <= 366 && len(w(k)) <= 3 {
				num, isNum = v, true
			}
		}
		if w(k) == "a" && w(k+1) == "couple" {
			num, isNum, k = 2, true, k+1
		}
		if isNum {
			k++
			if w(k) == "of" {
				k++
			}
			switch w(k) {
			case "day", "days":
				return day.AddDate(0, 0, num), k + 1, true
			case "week", "weeks":
				return day.AddDate(0, 0, 7*num), k + 1, true
			}
		}
	}
	// "the 15th"
	if w(0) == "the" {
		if d, ok := dayOfMonth(w(1)); ok && w(1) != "" && !isDigit(w(1)[len(w(1))-1]) {
			if _, isMonth := months[w(2)]; !isMonth && w(2) != "of" {
				if t, ok := civil(day.Year(), day.Month(), d); ok && !t.Before(day) {
					return t, 2, true
				}
				if t, ok := civil(day.Year(), day.Month()+1, d); ok {
					return t, 2, true
				}
			}
		}
	}
	return time.Time{}, 0, false
}

// resolveMonthDay finishes "3 March" or "March 3": next is the word after it, maybe a year;
// k is how many tokens were read so far.
func resolveMonthDay(day time.Time, m time.Month, d int, next string, k int) (time.Time, int, bool) {
	if len(next) == 4 && isDigit(next[0]) {
		if y, err := strconv.Atoi(next); err == nil && y >= 1900 && y <= 2999 {
			t, ok := civil(y, m, d)
			return t, k + 1, ok
		}
	}
	if day.IsZero() {
		return time.Time{}, 0, false
	}
	// The next such date on or after the meeting date; 29 February waits for a leap year.
	for y := day.Year(); y <= day.Year()+8; y++ {
		if t, ok := civil(y, m, d); ok && !t.Before(day) {
			return t, k, true
		}
	}
	return time.Time{}, 0, false
}

// civil returns the date y-m-d at midnight UTC; ok is false when it does not exist (the
// month is taken modulo 12 with the year carried, as time.Date does).
func civil(y int, m time.Month, d int) (time.Time, bool) {
	t := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	ny, nm := y+int(m-1)/12, (m-1)%12+1
	if m < 1 {
		return time.Time{}, false
	}
	if d < 1 || t.Year() != ny || t.Month() != nm || t.Day() != d {
		return time.Time{}, false
	}
	return t, true
}

// dayOfMonth reads "3", "03", "3rd", "21st", "22nd", "14th" as a day 1..31.
func dayOfMonth(s string) (int, bool) {
	n := 0
	for n < len(s) && isDigit(s[n]) {
		n++
	}
	if n == 0 || n > 2 {
		return 0, false
	}
	switch s[n:] {
	case "", "st", "nd", "rd", "th":
	default:
		return 0, false
	}
	v, _ := strconv.Atoi(s[:n])
	if v < 1 || v > 31 {
		return 0, false
	}
	return v, true
}

// parseISODate reads "YYYY-MM-DD".
func parseISODate(s string) (y, m, d int, ok bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return 0, 0, 0, false
	}
	for _, i := range []int{0, 1, 2, 3, 5, 6, 8, 9} {
		if !isDigit(s[i]) {
			return 0, 0, 0, false
		}
	}
	y, _ = strconv.Atoi(s[:4])
	m, _ = strconv.Atoi(s[5:7])
	d, _ = strconv.Atoi(s[8:])
	return y, m, d, true
}
