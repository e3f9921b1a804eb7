package graphhook_test

import (
	"context"
	"crypto/rsa"
	"errors"
	"net/http"

	"github.com/google/uuid"

	"github.com/meetingminutes/minutes/shared/graphhook"
)

// The shape of a notification receiver: answer the handshake, persist and acknowledge fast,
// then verify, classify, deduplicate and decrypt off the request path.
func Example() {
	verifier := &graphhook.TokenVerifier{AppID: "3d9f6b2a-8c41-4e7f-a5b0-1c6e2d7f9a84"}
	decrypter := &graphhook.Decrypter{Keys: map[string]*rsa.PrivateKey{ /* "mm-graph-enc-2026-03": key */ }}
	persist := func(ctx context.Context, body []byte) error { return nil }
	lookup := func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]graphhook.Subscription, error) {
		return nil, nil
	}
	seen := func(ctx context.Context, dedupeKey string) bool { return false }

	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/graph/notifications", func(w http.ResponseWriter, r *http.Request) {
		if graphhook.ServeValidation(w, r) {
			return // 200 text/plain token, or 400; never parse a handshake's body
		}
		body, err := graphhook.ReadBody(http.MaxBytesReader(w, r.Body, graphhook.MaxBatchBytes))
		if err != nil {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		if err := persist(r.Context(), body); err != nil {
			http.Error(w, "retry", http.StatusServiceUnavailable) // Graph retries for up to 4 h
			return
		}
		w.WriteHeader(http.StatusAccepted) // within 3 s, even if validation fails later
	})

	// Later, from the persisted body:
	process := func(ctx context.Context, body []byte) error {
		b, err := graphhook.ParseBatch(body)
		if err != nil {
			return err // malformed: drop it
		}
		verr := verifier.VerifyBatch(ctx, b)
		if errors.Is(verr, graphhook.ErrKeysUnavailable) {
			return verr // transient: try again later
		}
		subs, err := lookup(ctx, b.SubscriptionIDs())
		if err != nil {
			return err
		}
		for _, res := range graphhook.Classify(b, graphhook.ClassifyParams{Subscriptions: subs, TokensVerified: verr == nil}) {
			if !res.Valid || res.Kind != graphhook.KindTranscript || seen(ctx, res.DedupeKey) {
				continue // count res.Reason; alert on client_state_mismatch
			}
			if ec := res.Item.EncryptedContent; ec != nil {
				content, err := decrypter.Decrypt(*ec)
				if err != nil {
					continue // fall back to GET /users/{organizer}/onlineMeetings/{m}/transcripts/{t}
				}
				_ = content // a callTranscript; customer data: never log it
			}
		}
		return nil
	}
	_, _ = mux, process
}
