package session_test

import (
	"encoding/base64"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/meetingminutes/minutes/shared/session"
)

// FuzzDecode feeds arbitrary cookie values to the decoder: it must never panic and never
// return a session other than the one fixed session it sealed itself (under any nonce:
// fuzz workers each seal their own copy).
func FuzzDecode(f *testing.F) {
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	m, err := session.New(session.Options{Keys: [][]byte{key(7)}, Now: func() time.Time { return at }})
	if err != nil {
		f.Fatal(err)
	}
	sealed := &session.Session{ID: "fuzz-id", CSRF: "fuzz-csrf", Name: "fuzz", IssuedAt: at, LastSeen: at}
	rec := httptest.NewRecorder()
	if err := m.Save(rec, sealed); err != nil {
		f.Fatal(err)
	}
	valid := rec.Result().Cookies()[0].Value
	raw, _ := base64.RawURLEncoding.DecodeString(valid)
	f.Add(valid)
	f.Add(valid[:len(valid)-1])
	f.Add(valid + "A")
	f.Add("")
	f.Add("A")
	f.Add(base64.RawURLEncoding.EncodeToString(raw[:29]))
	f.Add(base64.RawURLEncoding.EncodeToString(make([]byte, 64)))
	f.Add("====")
	f.Add("\x00\xff")
	f.Fuzz(func(t *testing.T, v string) {
		got, err := m.Decode(v)
		if err != nil {
			if got != nil {
				t.Fatalf("error with a session: %v", err)
			}
			return
		}
		if !reflect.DeepEqual(got, sealed) {
			t.Fatalf("decoded a session that was never sealed from %q: %+v", v, got)
		}
	})
}
