package queue

import "fmt"

// Name is a queue name (contract): the Service Bus queue under Azure, the River queue in
// standalone installs. Each queue feeds exactly one function.
type Name string

// The queues of Meeting Minutes (contract: function.json's queueName and the Service Bus
// entities in infra/ use these names).
const (
	// TranscriptIngest carries "a transcript is ready" to the TranscriptIngest function.
	TranscriptIngest Name = "transcript-ingest"
	// MinutesGenerate carries "generate minutes for this transcript" to MinutesGenerate.
	MinutesGenerate Name = "minutes-generate"
	// MinutesPublish carries "publish these approved minutes" to MinutesPublish.
	MinutesPublish Name = "minutes-publish"
	// Migrations carries tenant-database migration requests to MigrationRunner.
	Migrations Name = "migrations"
)

// Names returns every queue, in pipeline order.
func Names() []Name {
	return []Name{TranscriptIngest, MinutesGenerate, MinutesPublish, Migrations}
}

// Function returns the name of the function the queue feeds ("TranscriptIngest", …), or ""
// for an unknown queue.
func (n Name) Function() string {
	switch n {
	case TranscriptIngest:
		return "TranscriptIngest"
	case MinutesGenerate:
		return "MinutesGenerate"
	case MinutesPublish:
		return "MinutesPublish"
	case Migrations:
		return "MigrationRunner"
	}
	return ""
}

// Valid reports whether n is one of the queues above.
func (n Name) Valid() bool { return n.Function() != "" }

// String returns the queue name.
func (n Name) String() string { return string(n) }

// ForFunction returns the queue that feeds function, for code that knows only the function
// (funchost.Requeuer).
func ForFunction(function string) (Name, error) {
	for _, n := range Names() {
		if n.Function() == function {
			return n, nil
		}
	}
	return "", fmt.Errorf("%w: no queue feeds function %q", ErrUnknownQueue, function)
}

// check returns ErrUnknownQueue for a name that is not one of ours.
func (n Name) check() error {
	if !n.Valid() {
		return fmt.Errorf("%w: %q", ErrUnknownQueue, string(n))
	}
	return nil
}

// riverKind is the River job kind of the queue's messages. The kind is stored in every job
// row, so it must never change once released.
func (n Name) riverKind() string { return "queue." + string(n) }

// riverQueue is the River queue the queue's jobs are inserted into and fetched from. Our
// names already satisfy River's rule (lower-case letters and digits separated by hyphens).
func (n Name) riverQueue() string { return string(n) }
