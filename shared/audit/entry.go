package audit

import (
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/meetingminutes/minutes/shared/tenancy"
)

// ActorType says what kind of actor did something.
type ActorType string

const (
	// ActorUser is a signed-in member of the tenant; Actor.ID is the user's id.
	ActorUser ActorType = "user"
	// ActorSystem is the product itself (a timer, a queue function); Actor.ID names the job.
	ActorSystem ActorType = "system"
	// ActorOperator is one of our operators acting on the tenant's behalf; Actor.ID names them.
	ActorOperator ActorType = "operator"
)

// Valid reports whether t is one of the defined actor types.
func (t ActorType) Valid() bool {
	switch t {
	case ActorUser, ActorSystem, ActorOperator:
		return true
	}
	return false
}

// Actor is who did something.
type Actor struct {
	// Type is the kind of actor.
	Type ActorType
	// ID identifies the actor within its type (a user id, a job name); may be empty.
	ID string
}

// Target is what something was done to.
type Target struct {
	// Type is the kind of object ("meeting", "minutes", "user", "settings"); may be empty.
	Type string
	// ID identifies the object; may be empty.
	ID string
}

// Entry is one audit event, as the caller describes it.
type Entry struct {
	// At is when it happened, from the caller's clock; stored in UTC at microsecond precision.
	At time.Time
	// Actor is who did it.
	Actor Actor
	// Action names what was done, e.g. "minutes.approved"; 1 to 100 characters.
	Action string
	// Target is what it was done to.
	Target Target
	// Details are small facts about the event, JSON-encodable; nil means none. Never
	// transcript or minutes text, personal data or secrets (see the package documentation).
	Details map[string]any
}

// Record is an entry as stored: numbered and chained.
type Record struct {
	// Tenant is the tenant whose log holds the entry.
	Tenant tenancy.ID
	// Seq is the entry's position in the tenant's log, from 1.
	Seq int64
	// Entry is the event. Read back from the database, At is in UTC at microsecond precision
	// and Details hold numbers as json.Number, as PostgreSQL printed them.
	Entry
	// PrevHash is the previous entry's Hash (32 zero bytes for the first entry).
	PrevHash []byte
	// Hash is SHA-256(PrevHash || canonical entry).
	Hash []byte
}

// ErrInvalidEntry reports an entry Append refuses: an unknown actor type, an empty or too
// long action, a zero time, details that are not a JSON object.
var ErrInvalidEntry = errors.New("invalid audit entry")

// maxAction is the longest action in characters (the column's CHECK).
const maxAction = 100

func (e Entry) validate() error {
	switch {
	case !e.Actor.Type.Valid():
		return fmt.Errorf("%w: actor type %q", ErrInvalidEntry, e.Actor.Type)
	case e.Action == "" || utf8.RuneCountInString(e.Action) > maxAction:
		return fmt.Errorf("%w: action must have 1 to %d characters", ErrInvalidEntry, maxAction)
	case e.At.IsZero():
		return fmt.Errorf("%w: no time", ErrInvalidEntry)
	}
	return nil
}

// ByUser is the entry of an action a signed-in user (userID) took on a target at at.
func ByUser(at time.Time, userID, action, targetType, targetID string, details map[string]any) Entry {
	return Entry{At: at, Actor: Actor{Type: ActorUser, ID: userID}, Action: action,
		Target: Target{Type: targetType, ID: targetID}, Details: details}
}
