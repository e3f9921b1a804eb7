package graphhook_test

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // Graph's key wrap
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meetingminutes/minutes/shared/graphhook"
	"github.com/meetingminutes/minutes/shared/graphhook/graphhooktest"
)

// The plaintext is recognizable so a test can prove it never leaks into an error.
const secretPlaintext = `{"id":"t1","spokenText":"the quarterly numbers are confidential"}`

func TestDecrypt(t *testing.T) {
	t.Parallel()
	p := graphhooktest.New(t, &graphhooktest.Options{CertificateID: "enc-2026-03"})
	old := graphhooktest.New(t, &graphhooktest.Options{CertificateID: "enc-2025-12"})
	rotating := &graphhook.Decrypter{Keys: map[string]*rsa.PrivateKey{
		p.CertificateID:   p.CertificateKey,
		old.CertificateID: old.CertificateKey,
	}}
	pub := p.Certificate.PublicKey.(*rsa.PublicKey)

	b64 := base64.StdEncoding.EncodeToString
	unb64 := func(s string) []byte {
		b, err := base64.StdEncoding.DecodeString(s)
		require.NoError(t, err)
		return b
	}
	flipBit := func(s string, i int) string {
		b := unb64(s)
		b[i%len(b)] ^= 0x01
		return b64(b)
	}
	// rewrap replaces the wrapped key with key, wrapped the way Graph does.
	rewrap := func(ec graphhook.EncryptedContent, key []byte) graphhook.EncryptedContent {
		wrapped, err := rsa.EncryptOAEP(sha1.New(), rand.Reader, pub, key, nil) //nolint:gosec // Graph's key wrap
		require.NoError(t, err)
		ec.DataKey = b64(wrapped)
		return ec
	}

	cases := []struct {
		name    string
		dec     *graphhook.Decrypter
		content func() graphhook.EncryptedContent
		want    []byte
		wantErr error
	}{
		{name: "valid", content: func() graphhook.EncryptedContent { return p.Encrypt(t, []byte(secretPlaintext)) }, want: []byte(secretPlaintext)},
		{name: "empty plaintext is a whole padding block", content: func() graphhook.EncryptedContent { return p.Encrypt(t, nil) }, want: []byte{}},
		{name: "plaintext of exactly one block", content: func() graphhook.EncryptedContent { return p.Encrypt(t, []byte("0123456789abcdef")) }, want: []byte("0123456789abcdef")},
		{name: "rotated certificate: the new id works", dec: rotating, content: func() graphhook.EncryptedContent { return p.Encrypt(t, []byte(secretPlaintext)) }, want: []byte(secretPlaintext)},
		{name: "rotated certificate: the old id still works", dec: rotating, content: func() graphhook.EncryptedContent { return old.Encrypt(t, []byte(secretPlaintext)) }, want: []byte(secretPlaintext)},
		{name: "flipped bit in data", content: func() graphhook.EncryptedContent {
			ec := p.Encrypt(t, []byte(secretPlaintext))
			ec.Data = flipBit(ec.Data, 7)
			return ec
		}, wantErr: graphhook.ErrSignatureMismatch},
		{name: "flipped bit in the last block of data", content: func() graphhook.EncryptedContent {
			ec := p.Encrypt(t, []byte(secretPlaintext))
			ec.Data = flipBit(ec.Data, len(unb64(ec.Data))-1)
			return ec
		}, wantErr: graphhook.ErrSignatureMismatch},
		{name: "flipped bit in signature", content: func() graphhook.EncryptedContent {
			ec := p.Encrypt(t, []byte(secretPlaintext))
			ec.DataSignature = flipBit(ec.DataSignature, 31)
			return ec
		}, wantErr: graphhook.ErrSignatureMismatch},
		{name: "signature of the wrong length", content: func() graphhook.EncryptedContent {
			ec := p.Encrypt(t, []byte(secretPlaintext))
			ec.DataSignature = b64(unb64(ec.DataSignature)[:20])
			return ec
		}, wantErr: graphhook.ErrSignatureMismatch},
		{name: "signature from another item", content: func() graphhook.EncryptedContent {
			ec := p.Encrypt(t, []byte(secretPlaintext))
			ec.DataSignature = p.Encrypt(t, []byte(secretPlaintext)).DataSignature
			return ec
		}, wantErr: graphhook.ErrSignatureMismatch},
		{name: "missing signature", content: func() graphhook.EncryptedContent {
			ec := p.Encrypt(t, []byte(secretPlaintext))
			ec.DataSignature = ""
			return ec
		}, wantErr: graphhook.ErrSignatureMissing},
		{name: "wrong certificate id", content: func() graphhook.EncryptedContent {
			ec := p.Encrypt(t, []byte(secretPlaintext))
			ec.EncryptionCertificateID = "enc-1999-01"
			return ec
		}, wantErr: graphhook.ErrUnknownCertificate},
		{name: "no keys at all", dec: &graphhook.Decrypter{}, content: func() graphhook.EncryptedContent { return p.Encrypt(t, []byte(secretPlaintext)) }, wantErr: graphhook.ErrUnknownCertificate},
		{name: "content for the old certificate under the new id", content: func() graphhook.EncryptedContent {
			ec := old.Encrypt(t, []byte(secretPlaintext))
			ec.EncryptionCertificateID = p.CertificateID
			return ec
		}, wantErr: graphhook.ErrKeyUnwrap},
		{name: "truncated data by a block", content: func() graphhook.EncryptedContent {
			ec := p.Encrypt(t, []byte(secretPlaintext))
			d := unb64(ec.Data)
			ec.Data = b64(d[:len(d)-16])
			return ec
		}, wantErr: graphhook.ErrSignatureMismatch},
		{name: "truncated data mid-block", content: func() graphhook.EncryptedContent {
			ec := p.Encrypt(t, []byte(secretPlaintext))
			d := unb64(ec.Data)
			ec.Data = b64(d[:len(d)-5])
			return ec
		}, wantErr: graphhook.ErrMalformedContent},
		{name: "empty data", content: func() graphhook.EncryptedContent {
			ec := p.Encrypt(t, []byte(secretPlaintext))
			ec.Data = ""
			return ec
		}, wantErr: graphhook.ErrMalformedContent},
		{name: "data is not base64", content: func() graphhook.EncryptedContent {
			ec := p.Encrypt(t, []byte(secretPlaintext))
			ec.Data = "!!" + ec.Data
			return ec
		}, wantErr: graphhook.ErrMalformedContent},
		{name: "data is base64url", content: func() graphhook.EncryptedContent {
			ec := p.Encrypt(t, bytes.Repeat([]byte{0xff}, 64))
			ec.Data = base64.RawURLEncoding.EncodeToString(unb64(ec.Data))
			return ec
		}, wantErr: graphhook.ErrMalformedContent},
		{name: "dataKey is not base64", content: func() graphhook.EncryptedContent {
			ec := p.Encrypt(t, []byte(secretPlaintext))
			ec.DataKey = "%%%"
			return ec
		}, wantErr: graphhook.ErrMalformedContent},
		{name: "dataKey of the wrong length", content: func() graphhook.EncryptedContent {
			ec := p.Encrypt(t, []byte(secretPlaintext))
			ec.DataKey = b64(unb64(ec.DataKey)[1:])
			return ec
		}, wantErr: graphhook.ErrKeyUnwrap},
		{name: "dataKey wrapped with OAEP SHA-256", content: func() graphhook.EncryptedContent {
			ec := p.Encrypt(t, []byte(secretPlaintext))
			wrapped, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, pub, make([]byte, 32), nil)
			require.NoError(t, err)
			ec.DataKey = b64(wrapped)
			return ec
		}, wantErr: graphhook.ErrKeyUnwrap},
		{name: "wrapped key of 16 bytes (AES-128)", content: func() graphhook.EncryptedContent {
			return rewrap(p.Encrypt(t, []byte(secretPlaintext)), make([]byte, 16))
		}, wantErr: graphhook.ErrKeyUnwrap},
		{name: "another 32-byte key fails the HMAC", content: func() graphhook.EncryptedContent {
			return rewrap(p.Encrypt(t, []byte(secretPlaintext)), make([]byte, 32))
		}, wantErr: graphhook.ErrSignatureMismatch},
		{name: "bad padding: zero pad byte", content: func() graphhook.EncryptedContent {
			return p.EncryptPadded(t, append(bytes.Repeat([]byte("a"), 15), 0))
		}, wantErr: graphhook.ErrBadPadding},
		{name: "bad padding: pad byte over a block", content: func() graphhook.EncryptedContent {
			return p.EncryptPadded(t, append(bytes.Repeat([]byte("a"), 15), 17))
		}, wantErr: graphhook.ErrBadPadding},
		{name: "bad padding: inconsistent pad bytes", content: func() graphhook.EncryptedContent {
			return p.EncryptPadded(t, append(bytes.Repeat([]byte("a"), 13), 3, 2, 3))
		}, wantErr: graphhook.ErrBadPadding},
		{name: "good padding of a whole block", content: func() graphhook.EncryptedContent {
			return p.EncryptPadded(t, append([]byte("0123456789abcdef"), bytes.Repeat([]byte{16}, 16)...))
		}, want: []byte("0123456789abcdef")},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dec := tt.dec
			if dec == nil {
				dec = p.Decrypter()
			}
			ec := tt.content()
			got, err := dec.Decrypt(ec)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				require.Nil(t, got)
				var de *graphhook.DecryptError
				require.True(t, errors.As(err, &de))
				require.Equal(t, ec.EncryptionCertificateID, de.CertificateID)
				require.NotContains(t, err.Error(), "confidential", "errors never carry plaintext")
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}
