package graph_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/graph"
	"github.com/meetingminutes/minutes/shared/graph/graphtest"
	"github.com/meetingminutes/minutes/shared/mail"
)

func TestMailSenderSendsProductMailThroughGraph(t *testing.T) {
	t.Parallel()
	_, b := setup(t)
	s := graph.MailSender{Clients: b.clients, Tenant: b.tenant, From: "no-reply@minutes.example"}
	err := s.Send(context.Background(), mail.Message{
		To: []mail.Address{{Name: "Ada", Email: "ada@contoso.com"}}, Subject: "Welcome to Meeting Minutes",
		Text: "Line one & <two>\nLine three",
	})
	require.NoError(t, err)
	r := lastRequest(t, b.fake)
	require.Equal(t, "/v1.0/users/no-reply@minutes.example/sendMail", r.Path)
	var body struct {
		Message struct {
			Subject string
			Body    struct{ ContentType, Content string }
		}
	}
	require.NoError(t, json.Unmarshal(r.Body, &body))
	require.Equal(t, "Welcome to Meeting Minutes", body.Message.Subject)
	require.Equal(t, "<p>Line one &amp; &lt;two&gt;<br>Line three</p>", body.Message.Body.Content, "plain text is escaped, not injected")

	b.fake.Fail(graphtest.OtherForbidden())
	require.Error(t, s.Send(context.Background(), mail.Message{To: []mail.Address{{Email: "ada@contoso.com"}}, Subject: "x", Text: "y"}),
		"a refusal reaches the caller, who logs it and carries on")
}
