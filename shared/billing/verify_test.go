package billing_test

import (
	"bytes"
	"crypto/rand"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/billing"
	"github.com/meetingminutes/minutes/shared/billing/billingtest"
	"github.com/meetingminutes/minutes/shared/funchost"
)

func sampleEvent() billingtest.Event {
	return billingtest.Event{ID: "evt_1", Type: "customer.subscription.updated",
		Object: billingtest.SubscriptionObject(billingtest.Subscription{ID: "sub_1", Customer: "cus_1", Status: "active"})}
}

func TestParseEvent(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 10, 9, 30, 0, 0, time.UTC)
	good := sampleEvent().Payload()
	junk := make([]byte, 2<<20)
	_, _ = rand.Read(junk)
	mismatch := sampleEvent()
	mismatch.APIVersion = "2024-06-20"
	cases := []struct {
		name   string
		body   []byte
		header string
		want   billing.VerifyReason
	}{
		{"valid", good, billingtest.Sign(good, webhookSecret, now), ""},
		{"valid four minutes late", good, billingtest.Sign(good, webhookSecret, now.Add(-4*time.Minute)), ""},
		{"rolled secret: any v1 may match", good, billingtest.Sign(good, "whsec_old", now) + ",v1=" +
			strings.Split(billingtest.Sign(good, webhookSecret, now), "v1=")[1], ""},
		{"wrong secret", good, billingtest.Sign(good, "whsec_wrong", now), billing.ReasonBadSignature},
		{"stale timestamp", good, billingtest.Sign(good, webhookSecret, now.Add(-billing.Tolerance-time.Second)), billing.ReasonTooOld},
		{"tampered body", bytes.Replace(good, []byte(`"active"`), []byte(`"canceled"`), 1), billingtest.Sign(good, webhookSecret, now), billing.ReasonBadSignature},
		{"missing header", good, "", billing.ReasonNotSigned},
		{"header without signature", good, "t=" + strconv.FormatInt(now.Unix(), 10), billing.ReasonBadSignature},
		{"malformed header", good, "garbage", billing.ReasonBadHeader},
		{"api version mismatch", mismatch.Payload(), billingtest.Sign(mismatch.Payload(), webhookSecret, now), billing.ReasonAPIVersionMismatch},
		{"signed junk", []byte("not json"), billingtest.Sign([]byte("not json"), webhookSecret, now), billing.ReasonMalformed},
		{"signed event without object", []byte(`{"id":"evt_1","type":"x","api_version":"` + billing.APIVersion + `"}`),
			billingtest.Sign([]byte(`{"id":"evt_1","type":"x","api_version":"`+billing.APIVersion+`"}`), webhookSecret, now), billing.ReasonMalformed},
		{"2 MB junk", junk, billingtest.Sign(junk, webhookSecret, now), billing.ReasonTooLarge},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := billing.ParseEvent(tt.body, tt.header, webhookSecret, now)
			if tt.want == "" {
				require.NoError(t, err)
				require.Equal(t, "evt_1", ev.ID)
				require.Equal(t, "sub_1", ev.ObjectID)
				require.Equal(t, "cus_1", ev.Customer)
				return
			}
			var ve *billing.VerifyError
			require.ErrorAs(t, err, &ve)
			require.Equal(t, tt.want, ve.Reason)
			require.Equal(t, 400, funchost.StatusOf(err), "bad input is never a 5xx")
		})
	}
	t.Run("empty secret never verifies", func(t *testing.T) {
		_, err := billing.ParseEvent(good, billingtest.Sign(good, "", now), "", now)
		require.Error(t, err)
	})
}

// FuzzParseEvent: whatever the body and header, ParseEvent never panics, refuses with a
// *VerifyError (400), and accepts only what the secret signed.
func FuzzParseEvent(f *testing.F) {
	now := time.Date(2026, 3, 10, 9, 30, 0, 0, time.UTC)
	good := sampleEvent().Payload()
	f.Add(good, billingtest.Sign(good, webhookSecret, now), false)
	f.Add(good, "", true)
	f.Add([]byte(`{"id":"evt","type":"invoice.paid","api_version":"2023-10-16","data":{"object":{"customer":{"id":7}}}}`), "t=1,v1=00", true)
	f.Add([]byte(`{"data":{"object":[]}}`), "t=,v1=zz,v0=", true)
	f.Add([]byte{0xff, 0xfe, '{'}, "t=99999999999999999999,v1=ab", false)
	f.Fuzz(func(t *testing.T, body []byte, header string, sign bool) {
		if sign {
			header = billingtest.Sign(body, webhookSecret, now)
		}
		ev, err := billing.ParseEvent(body, header, webhookSecret, now)
		if err != nil {
			var ve *billing.VerifyError
			if !errorAs(err, &ve) {
				t.Fatalf("refusal is not a VerifyError: %v", err)
			}
			return
		}
		if ev.ID == "" || ev.Type == "" {
			t.Fatalf("accepted an event without id or type")
		}
		if !sign && !strings.Contains(header, "v1=") {
			t.Fatalf("accepted an unsigned body")
		}
	})
}
