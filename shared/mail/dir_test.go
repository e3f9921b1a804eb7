package mail_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	mmail "github.com/meetingminutes/minutes/shared/mail"
)

func newDir(t *testing.T) (*mmail.Dir, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "outbox")
	d, err := mmail.NewDir(path, &mmail.DirOptions{From: sender, Now: func() time.Time { return at }})
	require.NoError(t, err)
	return d, path
}

// files lists the directory, hidden files included.
func files(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestDirWritesEML(t *testing.T) {
	t.Parallel()
	d, dir := newDir(t)
	msg := message(nil)
	require.NoError(t, d.Send(context.Background(), msg))

	require.Equal(t, []string{msg.ID + ".eml"}, files(t, dir), "one file named by the ID, no temporary left")
	data, err := os.ReadFile(d.Path(msg.ID))
	require.NoError(t, err)
	want, err := mmail.Render(msg, sender, at)
	require.NoError(t, err)
	require.Equal(t, want, data, "the same bytes SMTP would send")
	p := parse(t, data)
	require.Equal(t, msg.Subject, p.subject)
	require.Equal(t, msg.Text, p.parts["text/plain"])

	info, err := os.Stat(d.Path(msg.ID))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	info, err = os.Stat(dir)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o700), info.Mode().Perm())
}

func TestDirIdempotent(t *testing.T) {
	t.Parallel()
	d, dir := newDir(t)
	first := message(nil)
	require.NoError(t, d.Send(context.Background(), first))
	second := message(func(m *mmail.Message) { m.Subject = "changed on retry" })
	require.NoError(t, d.Send(context.Background(), second))

	require.Len(t, files(t, dir), 1)
	data, err := os.ReadFile(d.Path(first.ID))
	require.NoError(t, err)
	require.Equal(t, first.Subject, parse(t, data).subject, "the first write stands")
}

func TestDirConcurrentSameID(t *testing.T) {
	t.Parallel()
	d, dir := newDir(t)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() { require.NoError(t, d.Send(context.Background(), message(nil))) })
	}
	wg.Wait()
	require.Len(t, files(t, dir), 1)
}

func TestDirRandomID(t *testing.T) {
	t.Parallel()
	d, dir := newDir(t)
	for range 2 {
		require.NoError(t, d.Send(context.Background(), message(func(m *mmail.Message) { m.ID = "" })))
	}
	names := files(t, dir)
	require.Len(t, names, 2, "no ID, no idempotency")
	for _, n := range names {
		require.Regexp(t, `^[a-z2-7]{26}\.eml$`, n)
	}
}

func TestDirRefusesInvalid(t *testing.T) {
	t.Parallel()
	d, dir := newDir(t)
	err := d.Send(context.Background(), message(func(m *mmail.Message) { m.Subject = "x\r\nBcc: victim@example.org" }))
	require.ErrorIs(t, err, mmail.ErrInvalidMessage)
	err = d.Send(context.Background(), message(func(m *mmail.Message) { m.ID = "../escape" }))
	require.ErrorIs(t, err, mmail.ErrInvalidMessage)
	require.Empty(t, files(t, dir))
	require.NoFileExists(t, filepath.Join(filepath.Dir(dir), "escape.eml"))

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, d.Send(ctx, message(nil)), context.Canceled)
	require.Empty(t, files(t, dir))
}

func TestNewDir(t *testing.T) {
	t.Parallel()
	_, err := mmail.NewDir(t.TempDir(), &mmail.DirOptions{From: mmail.Address{Email: "nope"}})
	require.ErrorIs(t, err, mmail.ErrInvalidMessage)

	d, err := mmail.NewDir(t.TempDir(), nil)
	require.NoError(t, err)
	err = d.Send(context.Background(), message(func(m *mmail.Message) { m.From = mmail.Address{} }))
	require.ErrorIs(t, err, mmail.ErrInvalidMessage, "no default From")
}
