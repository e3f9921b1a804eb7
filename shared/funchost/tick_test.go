package funchost

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestDecodeTickFixtures(t *testing.T) {
	t.Parallel()
	at := utc("2026-05-01T02:00:00.0031337Z")
	last, next := utc("2026-04-30T02:00:00Z"), utc("2026-05-01T02:00:00Z")
	cases := map[string]Tick{
		"timer_D.json":                {At: at, Last: last, Next: next},
		"timer_D2_status_null.json":   {At: at},
		"timer_D3_past_due.json":      {At: at, Last: last, Next: next, IsPastDue: true},
		"timer_D4_7digits_z.json":     {At: at, Last: utc("2026-04-30T02:00:00.0000001Z"), Next: next},
		"timer_D5_retry_context.json": {At: at, Last: last, Next: next, RetryCount: 1},
		"timer_no_sys.json":           {},
	}
	for _, name := range fixtureNames(t, "timer_") {
		want, ok := cases[name]
		require.True(t, ok, "fixture %s has no expectation", name)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := DecodeTick(decodeFixture(t, name), "timer")
			require.NoError(t, err)
			require.Equal(t, want.IsPastDue, got.IsPastDue)
			require.Equal(t, want.RetryCount, got.RetryCount)
			for _, tm := range []struct {
				field     string
				want, got time.Time
			}{{"At", want.At, got.At}, {"Last", want.Last, got.Last}, {"Next", want.Next, got.Next}} {
				if tm.want.IsZero() {
					require.True(t, tm.got.IsZero(), "%s: %s", tm.field, tm.got)
					continue
				}
				requireTime(t, tm.want, tm.got, tm.field)
			}
		})
	}
}

func TestDecodeTickTolerance(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, body string
		want       Tick
	}{
		{"no timer entry still fires", `{"Data":{},"Metadata":{}}`, Tick{}},
		{"IsPastDue as string", `{"Data":{"timer":{"IsPastDue":"true"}}}`, Tick{IsPastDue: true}},
		{"timer as encoded string", `{"Data":{"timer":"{\"IsPastDue\":true}"}}`, Tick{IsPastDue: true}},
		{"partial ScheduleStatus", `{"Data":{"timer":{"ScheduleStatus":{"Next":"2026-05-01T02:00:00Z"}}}}`, Tick{Next: utc("2026-05-01T02:00:00Z")}},
		{"lower-case keys", `{"data":{"timer":{"isPastDue":true,"scheduleStatus":{"last":"2026-04-30T02:00:00+00:00"}}}}`, Tick{IsPastDue: true, Last: utc("2026-04-30T02:00:00Z")}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env, err := DecodeEnvelope([]byte(tt.body))
			require.NoError(t, err)
			got, err := DecodeTick(env, "timer")
			require.NoError(t, err)
			require.Equal(t, tt.want.IsPastDue, got.IsPastDue)
			require.True(t, tt.want.Last.Equal(got.Last), "Last %s", got.Last)
			require.True(t, tt.want.Next.Equal(got.Next), "Next %s", got.Next)
		})
	}
	for _, body := range []string{
		`{"Data":{"timer":{"IsPastDue":"perhaps"}}}`,
		`{"Data":{"timer":{"ScheduleStatus":{"Last":"last tuesday"}}}}`,
		`{"Data":{"timer":{"ScheduleStatus":[1]}}}`,
		`{"Data":{"timer":[1]}}`,
	} {
		env, err := DecodeEnvelope([]byte(body))
		require.NoError(t, err)
		_, err = DecodeTick(env, "timer")
		require.ErrorIs(t, err, ErrMalformedEnvelope, body)
	}
}
