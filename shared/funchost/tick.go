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
