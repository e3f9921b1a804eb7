package blob

import (
	"context"
	"errors"
	"io"

	"github.com/meetingminutes/minutes/shared/tenancy"
)

// Store is a flat namespace of objects addressed by key. It is a wide interface because it is
// a real seam: Azure Blob Storage in managed and BYOI deployments, a local directory in
// self-hosted installs and development ([Azure], [Dir]); callers (ingest, export, purge) must
// not care which.
//
// Every method validates its key or prefix first and returns [ErrInvalidKey] for a bad one.
type Store interface {
	// Put stores the whole of r under key, replacing any object there, atomically: readers see
	// the old object or the new one, never a part. A Put racing another Put of the same key
	// may fail with [ErrConflict].
	Put(ctx context.Context, key string, r io.Reader, opts PutOptions) error
	// Get opens the object under key; the caller closes it. A missing key is [ErrNotFound].
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	// List returns every object whose key starts with prefix ("" for all), sorted by key,
	// reading all pages.
	List(ctx context.Context, prefix string) ([]Object, error)
	// Delete removes the object under key. A missing key is [ErrNotFound].
	Delete(ctx context.Context, key string) error
	// DeletePrefix removes every object whose key starts with prefix and returns how many it
	// removed. prefix must be non-empty and end with "/".
	DeletePrefix(ctx context.Context, prefix string) (int, error)
}

// PutOptions are the optional settings of [Store.Put].
type PutOptions struct {
	// ContentType is the object's media type (e.g. "text/vtt"); default
	// "application/octet-stream".
	ContentType string
}

// Object describes one stored object.
type Object struct {
	// Key is the object's key.
	Key string
	// Size is the object's length in bytes.
	Size int64
	// ContentType is the media type given to Put.
	ContentType string
	// SHA256 is the hex SHA-256 of the content, recorded by Put; empty when the object was
	// written by something else (or, for Dir, when its record is stale).
	SHA256 string
}

// DefaultContentType is the media type of an object stored without one.
const DefaultContentType = "application/octet-stream"

// ErrNotFound reports a key with no object.
var ErrNotFound = errors.New("blob not found")

// ErrConflict reports a Put that lost a race with another Put of the same key: the other's
// content is stored whole and this one's is discarded; retry if it should win. Only [Azure]
// returns it, for content larger than one block (its uncommitted blocks are discarded when
// the other upload commits).
var ErrConflict = errors.New("blob written concurrently")

// ErrInvalidKey reports a key or prefix that [ValidateKey] refuses.
var ErrInvalidKey = errors.New("invalid blob key")

// TenantPrefix returns the prefix under which every object of tenant id lives:
// "tenants/{id}/".
func TenantPrefix(id tenancy.ID) string {
	return "tenants/" + id.String() + "/"
}

func contentType(opts PutOptions) string {
	if opts.ContentType == "" {
		return DefaultContentType
	}
	return opts.ContentType
}
