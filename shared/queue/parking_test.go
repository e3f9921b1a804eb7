package queue

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/dbtest"
	"github.com/meetingminutes/minutes/shared/funchost"
)

func TestParkingLotKeepsPoisonAndFoldsRedeliveries(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t) // connected as minutes_app: parking must work with runtime rights
	lot := NewParkingLot(db.App)
	ctx := context.Background()
	at := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)

	p := funchost.Parked{Function: "TranscriptIngest", MessageID: "t-42:m-1", DeliveryCount: 1,
		InvocationID: "inv-1", Reason: "poison message: decode message body: invalid character", Body: []byte("{not json"), At: at}
	require.NoError(t, lot.Park(ctx, p))
	p.DeliveryCount, p.InvocationID, p.At = 2, "inv-2", at.Add(time.Minute)
	require.NoError(t, lot.Park(ctx, p), "the same message parked again (its ack was lost)")
	other := funchost.Parked{Function: "MinutesGenerate", Body: nil, Reason: "empty body", At: at}
	require.NoError(t, lot.Park(ctx, other), "a message without id or body is still kept")

	got, err := lot.List(ctx, 10)
	require.NoError(t, err)
	require.Len(t, got, 2)
	require.Equal(t, "TranscriptIngest", got[0].Function)
	require.Equal(t, []byte("{not json"), got[0].Body, "the body is kept byte for byte for replay")
	require.Equal(t, 2, got[0].TimesParked)
	require.Equal(t, 2, got[0].DeliveryCount)
	require.Equal(t, "MinutesGenerate", got[1].Function)
	require.Empty(t, got[1].Body)
}

func TestParkingLotFailsLoudlyWhenTheDatabaseIsGone(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	lot := NewParkingLot(db.App)
	db.App.Close()
	err := lot.Park(context.Background(), funchost.Parked{Function: "TranscriptIngest", Body: []byte("x")})
	require.Error(t, err, "the adapter must see the failure and abandon the message instead of acking it")
}
