package queue

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/riverqueue/river"
)

// River needs one Go type per job kind (a worker is registered for the kind its args' zero
// value reports), and we want one kind per queue. messageArgs is therefore generic over a
// marker type that names the queue; the switch statements below are the only places that
// list the markers.

// queueMarker names the queue of a messageArgs instantiation.
type queueMarker interface{ queue() Name }

type (
	transcriptIngestMarker struct{}
	minutesGenerateMarker  struct{}
	minutesPublishMarker   struct{}
	migrationsMarker       struct{}
)

func (transcriptIngestMarker) queue() Name { return TranscriptIngest }
func (minutesGenerateMarker) queue() Name  { return MinutesGenerate }
func (minutesPublishMarker) queue() Name   { return MinutesPublish }
func (migrationsMarker) queue() Name       { return Migrations }

// messageArgs is the River job carrying one message of queue K:
//
//	{"queue": "transcript-ingest", "id": "<dedupe key>", "body": {…}, "properties": {…}}
//
// Only id counts toward River's uniqueness (together with the kind, which is per queue).
type messageArgs[K queueMarker] struct {
	Queue      Name              `json:"queue"`
	ID         string            `json:"id" river:"unique"`
	Body       json.RawMessage   `json:"body"`
	Properties map[string]string `json:"properties,omitempty"`
}

// Kind is the job kind of queue K (queue.transcript-ingest, …).
func (messageArgs[K]) Kind() string {
	var k K
	return k.queue().riverKind()
}

func newArgs[K queueMarker](e encoded) river.JobArgs {
	var k K
	return messageArgs[K]{Queue: k.queue(), ID: e.id, Body: e.body, Properties: e.properties}
}

// jobArgs returns the River args of message e on queue q.
func jobArgs(q Name, e encoded) (river.JobArgs, error) {
	switch q {
	case TranscriptIngest:
		return newArgs[transcriptIngestMarker](e), nil
	case MinutesGenerate:
		return newArgs[minutesGenerateMarker](e), nil
	case MinutesPublish:
		return newArgs[minutesPublishMarker](e), nil
	case Migrations:
		return newArgs[migrationsMarker](e), nil
	}
	return nil, q.check()
}

// messageWorker works the jobs of queue K by handing them to the dispatcher.
type messageWorker[K queueMarker] struct {
	river.WorkerDefaults[messageArgs[K]]
	d *dispatcher
}

func (w *messageWorker[K]) Work(ctx context.Context, job *river.Job[messageArgs[K]]) error {
	var k K
	return w.d.work(ctx, k.queue(), job.JobRow, job.Args.ID, job.Args.Body, job.Args.Properties)
}

func addWorker[K queueMarker](workers *river.Workers, d *dispatcher) error {
	return river.AddWorkerSafely[messageArgs[K]](workers, &messageWorker[K]{d: d})
}

// addMessageWorker registers the worker of queue q.
func addMessageWorker(workers *river.Workers, q Name, d *dispatcher) error {
	var err error
	switch q {
	case TranscriptIngest:
		err = addWorker[transcriptIngestMarker](workers, d)
	case MinutesGenerate:
		err = addWorker[minutesGenerateMarker](workers, d)
	case MinutesPublish:
		err = addWorker[minutesPublishMarker](workers, d)
	case Migrations:
		err = addWorker[migrationsMarker](workers, d)
	default:
		err = q.check()
	}
	if err != nil {
		return fmt.Errorf("register worker for queue %s: %w", q, err)
	}
	return nil
}

// timerKind is the River job kind of every periodic timer occurrence.
const timerKind = "queue.timer"

// timerQueue is the River queue timer occurrences are worked from.
const timerQueue = "timers"

// timerArgs is one occurrence of the periodic timer named Timer (a function name).
type timerArgs struct {
	Timer string `json:"timer" river:"unique"`
}

// Kind is the job kind of timer occurrences.
func (timerArgs) Kind() string { return timerKind }
