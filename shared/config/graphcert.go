package config

import (
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // a certificate thumbprint, not a security function
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"net/url"
	"strings"
)

// Graph configures Microsoft Graph calls and change notifications.
type Graph struct {
	// BaseURL is GRAPH_BASE_URL, the Graph endpoint with its version; nil means
	// https://graph.microsoft.com/v1.0 (sovereign clouds and end-to-end tests set another).
	BaseURL *url.URL
	// NotificationCerts are GRAPH_NOTIFICATION_CERT and GRAPH_NOTIFICATION_CERT_PREVIOUS: the
	// certificate Graph encrypts rich notifications with, current first, then the one being
	// rotated out (still used by subscriptions not yet renewed). Empty: subscriptions are
	// created without resource data.
	NotificationCerts []NotificationCert
}

// NotificationCert is an encryption certificate for rich Graph notifications.
type NotificationCert struct {
	// ID is the encryptionCertificateId sent to Graph: the SHA-1 thumbprint in hex.
	ID string
	// Certificate is the base64 DER certificate, Graph's encryptionCertificate.
	Certificate string
	// Key decrypts the symmetric keys Graph sends.
	Key *rsa.PrivateKey
}

// notificationCert parses a PEM bundle holding one certificate and its RSA private key
// (PKCS#1 or PKCS#8). The value is a secret: errors never echo it.
func (p *parser) notificationCert(key string) *NotificationCert {
	v := p.str(key)
	if v == "" {
		return nil
	}
	c, err := parseNotificationCert([]byte(strings.ReplaceAll(v, `\n`, "\n")))
	if err != nil {
		p.fail(key, "%v", err)
		return nil
	}
	return c
}

func parseNotificationCert(raw []byte) (*NotificationCert, error) {
	var (
		cert *x509.Certificate
		key  *rsa.PrivateKey
	)
	for {
		var b *pem.Block
		b, raw = pem.Decode(raw)
		if b == nil {
			break
		}
		switch b.Type {
		case "CERTIFICATE":
			if cert != nil {
				continue // a chain: the leaf comes first
			}
			c, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				return nil, errors.New("the CERTIFICATE block does not parse")
			}
			cert = c
		case "RSA PRIVATE KEY":
			k, err := x509.ParsePKCS1PrivateKey(b.Bytes)
			if err != nil {
				return nil, errors.New("the RSA PRIVATE KEY block does not parse")
			}
			key = k
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
			if err != nil {
				return nil, errors.New("the PRIVATE KEY block does not parse")
			}
			rk, ok := k.(*rsa.PrivateKey)
			if !ok {
				return nil, errors.New("the private key is not RSA (Graph encrypts with RSA-OAEP)")
			}
			key = rk
		}
	}
	switch {
	case cert == nil:
		return nil, errors.New("no PEM CERTIFICATE block")
	case key == nil:
		return nil, errors.New("no PEM private key block")
	case key.N.BitLen() < 2048:
		return nil, errors.New("the RSA key is shorter than 2048 bits")
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok || pub.N.Cmp(key.N) != 0 || pub.E != key.E {
		return nil, errors.New("the private key does not belong to the certificate")
	}
	sum := sha1.Sum(cert.Raw) //nolint:gosec // thumbprint
	return &NotificationCert{ID: strings.ToUpper(hex.EncodeToString(sum[:])),
		Certificate: base64.StdEncoding.EncodeToString(cert.Raw), Key: key}, nil
}
