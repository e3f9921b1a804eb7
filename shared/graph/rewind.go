package graph

import (
	"bytes"
	"io"
	"net/http"

	khttp "github.com/microsoft/kiota-http-go"
)

// seekableBody makes every request body rewindable, so the SDK's retry handler (which rewinds
// only an io.Seeker) can send a throttled POST again. Without it a retried sendMail or
// upload-session create goes out with an empty or half-read body, Graph answers 400, and the
// mail is lost for good: found by the fake Graph in the publishing tests
// (TestRetriedPostKeepsItsBody).
type seekableBody struct{}

// Intercept implements khttp.Middleware.
func (seekableBody) Intercept(p khttp.Pipeline, i int, req *http.Request) (*http.Response, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return p.Next(req, i)
	}
	if _, ok := req.Body.(io.Seeker); !ok {
		raw, err := io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, err
		}
		req.Body = readSeekNopCloser{bytes.NewReader(raw)}
		req.ContentLength = int64(len(raw))
	}
	return p.Next(req, i)
}

type readSeekNopCloser struct{ *bytes.Reader }

func (readSeekNopCloser) Close() error { return nil }

// withSeekableBodies prepares the SDK's middleware chain: bodies made seekable before the
// retry handler sees them, and no request compression. The compression handler swaps the
// body for a gzip stream on the request the retry handler holds and labels it, and the retry
// then sends that stream half-read; Graph does not need compressed requests.
func withSeekableBodies(mws []khttp.Middleware) []khttp.Middleware {
	out := []khttp.Middleware{seekableBody{}}
	for _, m := range mws {
		if _, ok := m.(*khttp.CompressionHandler); ok {
			continue
		}
		out = append(out, m)
	}
	return out
}
