package emulatortest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestAzurite(t *testing.T) {
	t.Parallel()
	az := Azurite(t)
	client := &http.Client{Timeout: 10 * time.Second}

	require.Same(t, az, Azurite(t), "one emulator per process")
	require.Contains(t, az.ConnectionString, "AccountName=devstoreaccount1;")
	require.Contains(t, az.ConnectionString, "BlobEndpoint="+az.BlobURL+";")
	require.Contains(t, az.ConnectionString, "TableEndpoint="+az.TableURL+";")

	for name, u := range map[string]string{
		"blob":  az.BlobURL + "?comp=list",
		"table": az.TableURL + "/Tables",
		"queue": az.QueueURL + "?comp=list",
	} {
		t.Run(name, func(t *testing.T) {
			resp, err := client.Get(u)
			require.NoError(t, err)
			defer resp.Body.Close()
			_, _ = io.Copy(io.Discard, resp.Body)
			// Unsigned requests are refused, but by the storage service itself.
			require.Less(t, resp.StatusCode, 500)
			require.NotEmpty(t, resp.Header.Get("x-ms-request-id"), "an Azure Storage response")
		})
	}
}

func TestStripeMock(t *testing.T) {
	t.Parallel()
	sm := StripeMock(t)
	require.Same(t, sm, StripeMock(t), "one emulator per process")

	form := url.Values{"email": {"ada@example.com"}}
	req, err := http.NewRequest(http.MethodPost, sm.URL+"/v1/customers", strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer sk_test_123")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()

	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, resp.Header.Get("Content-Type"), "application/json")
	var customer struct {
		Object string `json:"object"`
		ID     string `json:"id"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&customer))
	require.Equal(t, "customer", customer.Object)
	require.True(t, strings.HasPrefix(customer.ID, "cus_"), customer.ID)
}

func TestMissingBinary(t *testing.T) {
	// Not parallel: it changes the environment.
	t.Setenv("AZURITE_BIN", "/nonexistent/azurite")

	t.Run("SkipsLocally", func(t *testing.T) {
		t.Setenv("CI", "")
		r := runTB(func(tb testing.TB) { findBinary(tb, "AZURITE_BIN", "node_modules/.bin/azurite") })
		require.True(t, r.skipped)
		require.False(t, r.failed)
	})
	t.Run("FailsInCI", func(t *testing.T) {
		t.Setenv("CI", "true")
		r := runTB(func(tb testing.TB) { findBinary(tb, "AZURITE_BIN", "node_modules/.bin/azurite") })
		require.True(t, r.failed)
		require.False(t, r.skipped)
		require.Contains(t, r.msg, "scripts/services.sh")
	})
}

// recorder is a testing.TB that records Skip and Fatal instead of acting on the real test.
type recorder struct {
	testing.TB
	failed, skipped bool
	msg             string
}

type stop struct{}

func (r *recorder) Helper()        {}
func (r *recorder) Fatal(a ...any) { r.failed = true; r.msg = a[0].(string); panic(stop{}) }
func (r *recorder) Skip(a ...any)  { r.skipped = true; r.msg = a[0].(string); panic(stop{}) }
func runTB(fn func(testing.TB)) (r *recorder) {
	r = &recorder{}
	defer func() {
		if p := recover(); p != nil {
			if _, ok := p.(stop); !ok {
				panic(p)
			}
		}
	}()
	fn(r)
	return r
}
