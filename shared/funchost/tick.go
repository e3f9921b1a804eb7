package funchost

import (
	"encoding/json"
	"fmt"
	"time"
)

// Tick is one timer occurrence.
type Tick struct {
	// At is when the host fired the timer (Metadata.sys.UtcNow), or the wall clock in
	// standalone mode.
	At time.Time
	// IsPastDue is true when the occurrence is late (the app was down when it was due).
	IsPastDue bool
	// Last and Next come from the schedule monitor; zero when monitoring is off or on the
	// first run (ScheduleStatus null).
	Last, Next time.Time
	// RetryCount is the retry attempt when the timer has a retry policy, else 0.
	RetryCount int
}

// DecodeTick reads a timer trigger envelope; binding names the trigger ("timer").
func DecodeTick(env *Envelope, binding string) (Tick, error) {
	t := Tick{At: env.Sys.UtcNow}
	if env.Retry != nil {
		t.RetryCount = env.Retry.RetryCount
	}
	raw, ok := env.input(binding)
	if !ok || isNull(raw) {
		return t, nil
	}
	var info struct {
		IsPastDue      json.RawMessage
		ScheduleStatus json.RawMessage
	}
	if err := decodeObject(raw, &info); err != nil {
		return t, fmt.Errorf("%w: timer: %v", ErrMalformedEnvelope, err)
	}
	var err error
	if t.IsPastDue, err = decodeBool(info.IsPastDue); err != nil {
		return t, fmt.Errorf("%w: IsPastDue: %v", ErrMalformedEnvelope, err)
	}
	if !isNull(info.ScheduleStatus) {
		var st struct{ Last, Next json.RawMessage }
		if err := decodeObject(info.ScheduleStatus, &st); err != nil {
			return t, fmt.Errorf("%w: ScheduleStatus: %v", ErrMalformedEnvelope, err)
		}
		// A partial status (first run) is fine; a present but unreadable one is not.
		if t.Last, err = decodeTime(st.Last); err != nil {
			return t, fmt.Errorf("%w: ScheduleStatus.Last: %v", ErrMalformedEnvelope, err)
		}
		if t.Next, err = decodeTime(st.Next); err != nil {
			return t, fmt.Errorf("%w: ScheduleStatus.Next: %v", ErrMalformedEnvelope, err)
		}
	}
	return t, nil
}

// fastTick decodes the timer envelope every current host sends in one typed pass. It reports
// false for anything unusual (a string where an object belongs, a missing or ambiguous
// binding, an unreadable value), and the caller then takes the tolerant path, DecodeTick,
// whose results it matches (tested on every fixture).
func fastTick(body []byte, binding string) (Tick, bool) {
	type status struct{ Last, Next json.RawMessage }
	type timer struct {
		IsPastDue      json.RawMessage
		ScheduleStatus *status
	}
	var w struct {
		Data     map[string]timer
		Metadata struct {
			Sys          struct{ UtcNow json.RawMessage } `json:"sys"`
			RetryContext *struct{ RetryCount json.RawMessage }
		}
	}
	if json.Unmarshal(body, &w) != nil {
		return Tick{}, false
	}
	t, ok := w.Data[binding]
	if !ok {
		if len(w.Data) != 1 {
			return Tick{}, false
		}
		for _, v := range w.Data { // a sole entry, whatever its name, as DecodeTick accepts
			t = v
		}
	}
	var tick Tick
	var err error
	if tick.At, err = decodeTime(w.Metadata.Sys.UtcNow); err != nil {
		return Tick{}, false
	}
	if w.Metadata.RetryContext != nil {
		n, err := decodeInt(w.Metadata.RetryContext.RetryCount)
		if err != nil {
			return Tick{}, false
		}
		tick.RetryCount = int(n)
	}
	if tick.IsPastDue, err = decodeBool(t.IsPastDue); err != nil {
		return Tick{}, false
	}
	if st := t.ScheduleStatus; st != nil {
		if tick.Last, err = decodeTime(st.Last); err != nil {
			return Tick{}, false
		}
		if tick.Next, err = decodeTime(st.Next); err != nil {
			return Tick{}, false
		}
	}
	return tick, true
}
