package blob_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/blob"
	"github.com/meetingminutes/minutes/shared/emulatortest"
)

func TestMain(m *testing.M) { emulatortest.Main(m) }

// newAzure returns an Azure store on a fresh container of the process's Azurite, with a small
// block size and page size so that staging and paging are exercised, and a counter of List
// requests.
func newAzure(t *testing.T, pageSize int32) (*blob.Azure, *atomic.Int64) {
	t.Helper()
	az := emulatortest.Azurite(t)
	lists := new(atomic.Int64)
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "test-" + hex.EncodeToString(b[:])
	s, err := blob.NewAzureFromConnectionString(az.ConnectionString, name, &blob.AzureOptions{
		Client: &container.ClientOptions{ClientOptions: policy.ClientOptions{
			PerCallPolicies: []policy.Policy{countLists{lists}},
		}},
		ListPageSize: pageSize,
		BlockSize:    conformanceBlockSize,
	})
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, s.EnsureContainer(ctx))
	require.NoError(t, s.EnsureContainer(ctx), "creating an existing container is fine")
	return s, lists
}

func TestAzureConformance(t *testing.T) {
	t.Parallel()
	testConformance(t, func(t *testing.T) blob.Store {
		s, _ := newAzure(t, 10)
		return s
	})
}

func TestAzureListReadsEveryPage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, lists := newAzure(t, 10)
	for i := range 25 {
		require.NoError(t, s.Put(ctx, fmt.Sprintf("tenants/a/%02d", i), bytes.NewReader([]byte{byte(i)}), blob.PutOptions{}))
	}
	lists.Store(0)
	objs, err := s.List(ctx, "tenants/a/")
	require.NoError(t, err)
	require.Len(t, objs, 25)
	require.Equal(t, "tenants/a/24", objs[24].Key)
	require.EqualValues(t, 3, lists.Load(), "25 blobs at 10 per page")

	lists.Store(0)
	n, err := s.DeletePrefix(ctx, "tenants/a/")
	require.NoError(t, err)
	require.Equal(t, 25, n)
	require.EqualValues(t, 3, lists.Load())
}

func TestNewAzure(t *testing.T) {
	t.Parallel()
	_, err := blob.NewAzure("https://account.blob.core.windows.net", nil, "c", nil)
	require.Error(t, err, "a credential is required")
	s, err := blob.NewAzure("https://account.blob.core.windows.net", fakeCredential{}, "c", nil)
	require.NoError(t, err)
	require.NotNil(t, s)
	_, err = blob.NewAzureFromConnectionString("not a connection string", "c", nil)
	require.Error(t, err)
	_, err = blob.NewAzure("https://account.blob.core.windows.net", fakeCredential{}, "c", &blob.AzureOptions{BlockSize: 200 << 20})
	require.Error(t, err, "blocks are at most 100 MiB")
}

// countLists counts List Blobs requests (comp=list).
type countLists struct{ n *atomic.Int64 }

func (c countLists) Do(req *policy.Request) (*http.Response, error) {
	if req.Raw().Method == http.MethodGet && strings.Contains(req.Raw().URL.RawQuery, "comp=list") {
		c.n.Add(1)
	}
	return req.Next()
}

type fakeCredential struct{}

func (fakeCredential) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: "t"}, nil
}
