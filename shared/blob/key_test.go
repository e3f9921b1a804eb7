package blob_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/blob"
	"github.com/meetingminutes/minutes/shared/tenancy"
)

// badKeys are refused by every method; the conformance test reuses them.
var badKeys = []struct{ name, key string }{
	{"empty", ""},
	{"leading slash", "/tenants/a/x"},
	{"trailing slash", "tenants/a/"},
	{"dot dot", "tenants/../x"},
	{"dot dot at the end", "tenants/a/.."},
	{"dot", "tenants/./x"},
	{"lone dot dot", ".."},
	{"hidden segment", "tenants/.meta"},
	{"empty segment", "tenants//x"},
	{"backslash", `tenants\a\x`},
	{"backslash dot dot", `tenants/..\..\x`},
	{"control character", "tenants/a\nx"},
	{"nul", "tenants/a\x00x"},
	{"invalid UTF-8", "tenants/\xff"},
	{"too long", strings.Repeat("a/", blob.MaxKeyLen/2) + "a"},
	{"segment too long", "tenants/" + strings.Repeat("a", blob.MaxSegmentLen+1)},
	{"trailing dot", "tenants/a/x."},
}

func TestValidateKey(t *testing.T) {
	t.Parallel()
	good := []string{
		"x",
		"tenants/6f1c2c1e-8b7a-4c5e-9d3f-2a1b0c9d8e7f/meetings/m-1/transcript.vtt",
		"tenants/a/b c/ü.txt",
		"a..b/c",
		strings.Repeat("a", blob.MaxSegmentLen),
		strings.Repeat("ab/", (blob.MaxKeyLen-1)/3) + "a",
	}
	for _, k := range good {
		require.NoError(t, blob.ValidateKey(k), "%q", k)
	}
	for _, tt := range badKeys {
		t.Run(tt.name, func(t *testing.T) {
			require.ErrorIs(t, blob.ValidateKey(tt.key), blob.ErrInvalidKey)
		})
	}
}

func TestTenantPrefix(t *testing.T) {
	t.Parallel()
	id := tenancy.MustParseID("6f1c2c1e-8b7a-4c5e-9d3f-2a1b0c9d8e7f")
	require.Equal(t, "tenants/6f1c2c1e-8b7a-4c5e-9d3f-2a1b0c9d8e7f/", blob.TenantPrefix(id))
	require.NoError(t, blob.ValidateKey(blob.TenantPrefix(id)+"x"))
}
