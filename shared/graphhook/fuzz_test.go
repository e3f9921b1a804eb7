package graphhook_test

import (
	"bytes"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/meetingminutes/minutes/shared/graphhook"
	"github.com/meetingminutes/minutes/shared/graphhook/graphhooktest"
)

// Run one target at a time, e.g.
//
//	go test -run=^$ -fuzz=FuzzParseBatch -fuzztime=45s -fuzzminimizetime=200x ./shared/graphhook
//
// Bounding minimization matters: with the default (60 s per input) the engine stalls at 0
// execs/sec while it minimizes new inputs. Inputs the fuzzer finds failing land in
// testdata/fuzz/<Target>/ and are kept as regression seeds.

var fixtureNames = []string{
	"transcript_basic.json", "transcript_encrypted.json", "lifecycle_reauthorization.json", "lifecycle_batch.json",
}

func FuzzParseBatch(f *testing.F) {
	for _, name := range fixtureNames {
		f.Add(graphhooktest.Fixture(f, name))
	}
	for _, s := range []string{
		``, `{}`, `null`, `[]`, `{"value":null}`, `{"value":[]}`, `{"value":{}}`, `{"value":[null]}`,
		`{"value":[{"tenantId":"` + tenantA + `","subscriptionId":"` + subA + `","resource":"users('a')/onlineMeetings('b')/transcripts('c')"}]}`,
		`{"subscriptionId":"` + subA + `"}`, `{"Value":[{"EncryptedContent":{}}],"validationTokens":["a.b.c"]}`,
		`{"value":[{"subscriptionExpirationDateTime":"2026-03-12T14:00:00.0000000+00:00"}]}`,
	} {
		f.Add([]byte(s))
	}
	subs := graphhooktest.ReferenceSubscriptions()
	f.Fuzz(func(t *testing.T, body []byte) {
		b, err := graphhook.ParseBatch(body)
		if err != nil {
			if !errors.Is(err, graphhook.ErrMalformedBatch) && !errors.Is(err, graphhook.ErrBodyTooLarge) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if b.Value == nil {
			t.Fatal("nil Value on success")
		}
		// Whatever parsed must survive our own marshalling (graphhooktest relies on it).
		again, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("marshal parsed batch: %v", err)
		}
		b2, err := graphhook.ParseBatch(again)
		if err != nil || len(b2.Value) != len(b.Value) || len(b2.ValidationTokens) != len(b.ValidationTokens) {
			t.Fatalf("round trip: %v (%d vs %d items)", err, len(b2.Value), len(b.Value))
		}
		for _, verified := range []bool{false, true} {
			res := graphhook.Classify(b, graphhook.ClassifyParams{Subscriptions: subs, TokensVerified: verified})
			if len(res) != len(b.Value) {
				t.Fatalf("%d results for %d items", len(res), len(b.Value))
			}
			for _, r := range res {
				if r.Valid != (r.Reason == "") || (r.Valid && r.Kind == "") || (!r.Valid && r.DedupeKey != "") {
					t.Fatalf("inconsistent result %+v", r)
				}
				if r.Valid && r.Kind != graphhook.KindLifecycle && !strings.HasPrefix(r.DedupeKey, r.Item.TenantID.String()+":") {
					t.Fatalf("dedupe key %q does not start with the tenant", r.DedupeKey)
				}
			}
		}
		_ = b.SubscriptionIDs()
		_ = b.TenantIDs()
		for _, id := range b.RichTenantIDs() {
			if id == uuid.Nil {
				t.Fatal("nil tenant among rich tenants")
			}
		}
	})
}

func FuzzDecrypt(f *testing.F) {
	b, err := graphhook.ParseBatch(graphhooktest.Fixture(f, "transcript_encrypted.json"))
	if err != nil {
		f.Fatal(err)
	}
	ec := *b.Value[0].EncryptedContent
	f.Add(ec.Data, ec.DataSignature, ec.DataKey, ec.EncryptionCertificateID)
	f.Add(ec.Data[:len(ec.Data)-4], ec.DataSignature, ec.DataKey, ec.EncryptionCertificateID)
	f.Add(ec.Data, "", ec.DataKey, ec.EncryptionCertificateID)
	f.Add("AAAAAAAAAAAAAAAAAAAAAA==", ec.DataSignature, ec.DataKey, ec.EncryptionCertificateID)
	f.Add("", "", "", "")
	f.Add("%%", "==", "A", ec.EncryptionCertificateID)
	d := &graphhook.Decrypter{Keys: map[string]*rsa.PrivateKey{
		graphhooktest.ReferenceCertificateID: graphhooktest.ReferenceEncryptionKey(f),
	}}
	f.Fuzz(func(t *testing.T, data, sig, key, certID string) {
		plain, err := d.Decrypt(graphhook.EncryptedContent{Data: data, DataSignature: sig, DataKey: key, EncryptionCertificateID: certID})
		if err != nil {
			var de *graphhook.DecryptError
			if !errors.As(err, &de) || de.Reason == nil {
				t.Fatalf("untyped error %v", err)
			}
			if plain != nil {
				t.Fatal("plaintext returned with an error")
			}
			return
		}
		// Success is only possible with a genuine HMAC: the fixture's own ciphertext and
		// signature bytes (base64 decoding ignores CR and LF, so the strings may differ).
		if !bytes.Equal(unb64(data), unb64(ec.Data)) || !bytes.Equal(unb64(sig), unb64(ec.DataSignature)) {
			t.Fatalf("decrypted forged content (data %q)", data)
		}
		if len(plain) >= len(data) {
			t.Fatalf("plaintext of %d bytes from %d base64 bytes", len(plain), len(data))
		}
	})
}

func unb64(s string) []byte {
	b, _ := base64.StdEncoding.DecodeString(s)
	return b
}

func FuzzParseTranscriptResource(f *testing.F) {
	for _, s := range []string{
		"communications/onlineMeetings('" + graphhooktest.ReferenceMeetingID + "')/transcripts('" + graphhooktest.ReferenceTranscriptID + "')",
		"users/u/onlineMeetings/m/transcripts/t", "users('u')/onlineMeetings('m')/transcripts('t')",
		"/communications/onlineMeetings/a%2Fb/transcripts/c", "communications/onlineMeetings('a/b')/transcripts(t)",
		"communications/callRecords/x", "'", "(')", "/", "", "a('')/b", "users(/onlineMeetings('m')/transcripts('t')",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ref, err := graphhook.ParseTranscriptResource(s)
		callID, cerr := graphhook.ParseCallRecordResource(s)
		if cerr == nil && (callID == "" || err == nil) {
			t.Fatalf("call record %q also parsed as %+v", callID, ref)
		}
		if err != nil {
			if !errors.Is(err, graphhook.ErrUnsupportedResource) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if ref.MeetingID == "" || ref.TranscriptID == "" {
			t.Fatalf("empty id in %+v", ref)
		}
		for _, id := range []string{ref.UserID, ref.MeetingID, ref.TranscriptID} {
			if len(id) > graphhook.MaxResourceIDLength || strings.ContainsAny(id, "'()%? \"\\") {
				t.Fatalf("unsafe id %q", id)
			}
		}
		// The canonical OData form of what we parsed parses back to the same ref.
		canon := "communications/onlineMeetings('" + ref.MeetingID + "')/transcripts('" + ref.TranscriptID + "')"
		if ref.UserID != "" {
			canon = "users('" + ref.UserID + "')/onlineMeetings('" + ref.MeetingID + "')/transcripts('" + ref.TranscriptID + "')"
		}
		back, err := graphhook.ParseTranscriptResource(canon)
		if err != nil || back != ref {
			t.Fatalf("canonical form %q parsed to %+v, %v; want %+v", canon, back, err, ref)
		}
	})
}
