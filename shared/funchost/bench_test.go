package funchost

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// discardWriter is a ResponseWriter that keeps only the status, so the benchmark measures the
// adapter rather than a recorder.
type discardWriter struct {
	header http.Header
	status int
}

func (d *discardWriter) Header() http.Header         { return d.header }
func (d *discardWriter) WriteHeader(code int)        { d.status = code }
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }

func BenchmarkDecodeEnvelope(b *testing.B) {
	for _, name := range []string{"sb_C2_binary.json", "sb_C.json", "timer_D.json", "http_A.json"} {
		body := fixture(b, name)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if _, err := DecodeEnvelope(body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkQueueRoundTrip is one Service Bus invocation in the binary (C2) form: read and
// decode the envelope, call a no-op MessageFunc, write the reply.
func BenchmarkQueueRoundTrip(b *testing.B) {
	body := fixture(b, "sb_C2_binary.json")
	a := New(Options{})
	h := a.Queue("ProcessTranscript", "msg", func(context.Context, Message) error { return nil })
	req := httptest.NewRequest(http.MethodPost, "/ProcessTranscript", nil)
	req.Header.Set(InvocationHeader, "0f8fad5b-d9cb-469f-a165-70867728950e")
	rd := bytes.NewReader(body)
	w := &discardWriter{header: http.Header{}}
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		rd.Reset(body)
		req.Body = io.NopCloser(rd)
		clear(w.header)
		w.status = 0
		h.ServeHTTP(w, req)
		if w.status != http.StatusOK {
			b.Fatalf("status %d", w.status)
		}
	}
}
