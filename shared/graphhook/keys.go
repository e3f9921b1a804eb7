package graphhook

import (
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // the thumbprint Graph echoes is SHA-1 by definition
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// Graph accepts encryption certificates with RSA keys of 2048 to 4096 bits.
const (
	minRSABits = 2048
	maxRSABits = 4096
)

// ErrNoKey means the PEM input holds no usable RSA private key or certificate.
var ErrNoKey = errors.New("graphhook: no RSA key in PEM input")

// LoadKeyPEM returns the first RSA private key in pemData, which may also hold certificates
// (as a Key Vault PEM export does). It accepts PKCS#8 ("PRIVATE KEY") and PKCS#1 ("RSA PRIVATE
// KEY") blocks, rejects encrypted keys, and requires 2048 to 4096 bits. Errors never include
// key material.
func LoadKeyPEM(pemData []byte) (*rsa.PrivateKey, error) {
	for rest := pemData; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, fmt.Errorf("load private key: %w", ErrNoKey)
		}
		var key *rsa.PrivateKey
		switch block.Type {
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("load private key: parse PKCS#8: %w", err)
			}
			rk, ok := k.(*rsa.PrivateKey)
			if !ok {
				return nil, fmt.Errorf("load private key: PKCS#8 key is %T, not RSA: %w", k, ErrNoKey)
			}
			key = rk
		case "RSA PRIVATE KEY":
			k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("load private key: parse PKCS#1: %w", err)
			}
			key = k
		case "ENCRYPTED PRIVATE KEY":
			return nil, errors.New("load private key: encrypted PEM keys are not supported; decrypt it when exporting")
		default:
			continue
		}
		if bits := key.N.BitLen(); bits < minRSABits || bits > maxRSABits {
			return nil, fmt.Errorf("load private key: RSA key of %d bits, want %d to %d", bits, minRSABits, maxRSABits)
		}
		return key, nil
	}
}

// LoadCertificatePEM returns the first certificate in pemData, which must hold an RSA public
// key of 2048 to 4096 bits (what Graph accepts as encryptionCertificate).
func LoadCertificatePEM(pemData []byte) (*x509.Certificate, error) {
	for rest := pemData; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, fmt.Errorf("load certificate: %w", ErrNoKey)
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("load certificate: %w", err)
		}
		pub, ok := cert.PublicKey.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("load certificate: public key is %T, not RSA: %w", cert.PublicKey, ErrNoKey)
		}
		if bits := pub.N.BitLen(); bits < minRSABits || bits > maxRSABits {
			return nil, fmt.Errorf("load certificate: RSA key of %d bits, want %d to %d", bits, minRSABits, maxRSABits)
		}
		return cert, nil
	}
}

// Thumbprint returns the certificate's SHA-1 thumbprint as uppercase hex, the form Graph echoes
// in encryptionCertificateThumbprint; safe to log.
func Thumbprint(cert *x509.Certificate) string {
	sum := sha1.Sum(cert.Raw) //nolint:gosec // see import
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// KeyMatchesCertificate reports whether key is the private half of cert's public key, to check
// configuration at startup.
func KeyMatchesCertificate(key *rsa.PrivateKey, cert *x509.Certificate) bool {
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	return ok && key != nil && key.PublicKey.Equal(pub)
}
