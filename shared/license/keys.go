package license

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	_ "embed"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// KeyBits is the size of the key pairs [GenerateKey] makes.
const KeyBits = 3072

// MinKeyBits is the smallest RSA key this package signs or verifies with.
const MinKeyBits = 2048

// KeySource names the public key a license was verified with.
type KeySource string

// Key sources.
const (
	// KeyDevelopment is dev_public.pem: for development and tests only (its private key is in
	// the repository).
	KeyDevelopment KeySource = "development"
	// KeyRelease is the key injected at build time (releasePublicKey).
	KeyRelease KeySource = "release"
	// KeyFile is a key the caller read from a file ('handler license verify --public-key').
	KeyFile KeySource = "file"
)

// devPublicPEM is the development public key. Its private half is testdata/dev_private.pem.
//
//go:embed dev_public.pem
var devPublicPEM []byte

// releasePublicKey is the vendor's public key as base64 (standard alphabet) of its PKIX DER,
// set by the release build with
//
//	-ldflags "-X github.com/meetingminutes/minutes/shared/license.releasePublicKey=BASE64"
//
// (a variable only because the linker can set nothing else). Empty in other builds, which
// verify with the development key.
var releasePublicKey string

// ReleaseKeyVar is the -X target that injects the release key.
const ReleaseKeyVar = "github.com/meetingminutes/minutes/shared/license.releasePublicKey"

// EmbeddedKey returns the public key compiled into the binary: the release key when the
// build injected one, else the development key.
func EmbeddedKey() (*rsa.PublicKey, KeySource, error) {
	if releasePublicKey != "" {
		der, err := base64.StdEncoding.DecodeString(strings.TrimSpace(releasePublicKey))
		if err != nil {
			return nil, "", fmt.Errorf("release public key: not base64: %w", err)
		}
		k, err := parsePublicDER(der)
		if err != nil {
			return nil, "", fmt.Errorf("release public key: %w", err)
		}
		return k, KeyRelease, nil
	}
	k, err := ParsePublicKeyPEM(devPublicPEM)
	if err != nil {
		return nil, "", fmt.Errorf("development public key: %w", err)
	}
	return k, KeyDevelopment, nil
}

// GenerateKey makes a new [KeyBits]-bit RSA key pair.
func GenerateKey() (*rsa.PrivateKey, error) {
	k, err := rsa.GenerateKey(rand.Reader, KeyBits)
	if err != nil {
		return nil, fmt.Errorf("generate license key pair: %w", err)
	}
	return k, nil
}

// MarshalPrivateKeyPEM encodes k as a PKCS #8 "PRIVATE KEY" block.
func MarshalPrivateKeyPEM(k *rsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, fmt.Errorf("encode private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// MarshalPublicKeyPEM encodes k as a PKIX "PUBLIC KEY" block.
func MarshalPublicKeyPEM(k *rsa.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(k)
	if err != nil {
		return nil, fmt.Errorf("encode public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// ReleaseKeyValue is the value of the -X flag ([ReleaseKeyVar]) that makes k the embedded key.
func ReleaseKeyValue(k *rsa.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(k)
	if err != nil {
		return "", fmt.Errorf("encode public key: %w", err)
	}
	return base64.StdEncoding.EncodeToString(der), nil
}

// ParsePublicKeyPEM reads an RSA public key from a "PUBLIC KEY" (PKIX) or "RSA PUBLIC KEY"
// (PKCS #1) PEM block of at least [MinKeyBits].
func ParsePublicKeyPEM(b []byte) (*rsa.PublicKey, error) {
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	switch block.Type {
	case "PUBLIC KEY":
		return parsePublicDER(block.Bytes)
	case "RSA PUBLIC KEY":
		k, err := x509.ParsePKCS1PublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("not an RSA public key: %w", err)
		}
		return k, checkSize(k)
	}
	return nil, fmt.Errorf("PEM block %q is not a public key", clip(block.Type))
}

func parsePublicDER(der []byte) (*rsa.PublicKey, error) {
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("not a public key: %w", err)
	}
	k, ok := pub.(*rsa.PublicKey)
	if !ok {
		return nil, errors.New("not an RSA public key")
	}
	return k, checkSize(k)
}

// ParsePrivateKeyPEM reads an RSA private key from a "PRIVATE KEY" (PKCS #8) or
// "RSA PRIVATE KEY" (PKCS #1) PEM block of at least [MinKeyBits].
func ParsePrivateKeyPEM(b []byte) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	var k *rsa.PrivateKey
	switch block.Type {
	case "PRIVATE KEY":
		pk, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("not a private key: %w", err)
		}
		var ok bool
		if k, ok = pk.(*rsa.PrivateKey); !ok {
			return nil, errors.New("not an RSA private key")
		}
	case "RSA PRIVATE KEY":
		var err error
		if k, err = x509.ParsePKCS1PrivateKey(block.Bytes); err != nil {
			return nil, fmt.Errorf("not an RSA private key: %w", err)
		}
	default:
		return nil, fmt.Errorf("PEM block %q is not a private key", clip(block.Type))
	}
	return k, checkSize(&k.PublicKey)
}

func checkSize(k *rsa.PublicKey) error {
	if k.N.BitLen() < MinKeyBits {
		return fmt.Errorf("RSA key of %d bits: at least %d needed", k.N.BitLen(), MinKeyBits)
	}
	return nil
}
