package graphhook

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // Graph wraps the data key with RSA-OAEP over SHA-1; not a signature.
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
)

// Sentinels for Decrypt failures, reached through *DecryptError with errors.Is.
var (
	// ErrUnknownCertificate: no private key for the item's encryptionCertificateId (a rotated
	// key dropped too early, or a forged item). Fall back to a GET, or drop.
	ErrUnknownCertificate = errors.New("graphhook: unknown encryption certificate id")
	// ErrMalformedContent: a field is not standard base64, or the ciphertext is empty or not
	// a whole number of AES blocks.
	ErrMalformedContent = errors.New("graphhook: malformed encrypted content")
	// ErrKeyUnwrap: RSA-OAEP decryption of dataKey failed or did not yield a 32-byte key.
	ErrKeyUnwrap = errors.New("graphhook: cannot unwrap data key")
	// ErrSignatureMissing: no dataSignature, so the content cannot be verified; fall back to a
	// plain GET of the resource.
	ErrSignatureMissing = errors.New("graphhook: encrypted content has no dataSignature")
	// ErrSignatureMismatch: the HMAC does not match; the content was tampered with and was not
	// decrypted.
	ErrSignatureMismatch = errors.New("graphhook: encrypted content signature mismatch")
	// ErrBadPadding: the plaintext's PKCS#7 padding is invalid (after a good HMAC this means a
	// publisher bug, not an attack).
	ErrBadPadding = errors.New("graphhook: bad padding in decrypted content")
)

// DecryptError is the error Decrypt returns. Reason is one of the sentinels above; Err, if not
// nil, is the underlying cause. Neither ever contains key material or plaintext.
type DecryptError struct {
	// CertificateID is the item's encryptionCertificateId (our own label, safe to log).
	CertificateID string
	// Reason is ErrUnknownCertificate, ErrMalformedContent, ErrKeyUnwrap,
	// ErrSignatureMissing, ErrSignatureMismatch or ErrBadPadding.
	Reason error
	// Err is the underlying cause, or nil.
	Err error
}

func (e *DecryptError) Error() string {
	msg := fmt.Sprintf("decrypt content for certificate %q: %v", truncate(e.CertificateID, 128), e.Reason)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns Reason and Err, so errors.Is matches either.
func (e *DecryptError) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Reason}
	}
	return []error{e.Reason, e.Err}
}

// symmetricKeySize is the AES-256 key Graph generates per item.
const symmetricKeySize = 32

// Decrypter decrypts rich notifications' encryptedContent. Its zero value has no keys and
// rejects everything with ErrUnknownCertificate. It is safe for concurrent use if Keys is not
// modified.
type Decrypter struct {
	// Keys maps an encryptionCertificateId (the label sent with the certificate at
	// subscription creation) to its private key. During rotation hold both the new and the
	// old id: Graph keeps using the old certificate for a while.
	Keys map[string]*rsa.PrivateKey
}

// Decrypt returns the plaintext (UTF-8 JSON of the resource) of ec, following Graph's recipe:
//
//  1. pick the private key by encryptionCertificateId;
//  2. dataKey: base64, RSA-OAEP with SHA-1 for both the hash and MGF1 and an empty label,
//     giving a 32-byte symmetric key;
//  3. verify HMAC-SHA256(key, base64-decoded data) against base64-decoded dataSignature in
//     constant time, before any decryption;
//  4. AES-256-CBC with IV = key[:16], then strip PKCS#7 padding.
//
// Every failure is a *DecryptError; Decrypt never panics on hostile input. The plaintext is
// customer data: never log it.
func (d *Decrypter) Decrypt(ec EncryptedContent) ([]byte, error) {
	fail := func(reason, err error) ([]byte, error) {
		return nil, &DecryptError{CertificateID: ec.EncryptionCertificateID, Reason: reason, Err: err}
	}
	priv := d.Keys[ec.EncryptionCertificateID]
	if priv == nil {
		return fail(ErrUnknownCertificate, nil)
	}
	// Cheap structural checks first, so junk never reaches the RSA operation.
	if ec.DataSignature == "" {
		return fail(ErrSignatureMissing, nil)
	}
	sig, err := base64.StdEncoding.DecodeString(ec.DataSignature)
	if err != nil {
		return fail(ErrMalformedContent, fmt.Errorf("dataSignature: %w", err))
	}
	if len(sig) != sha256.Size {
		return fail(ErrSignatureMismatch, fmt.Errorf("dataSignature is %d bytes, want %d", len(sig), sha256.Size))
	}
	data, err := base64.StdEncoding.DecodeString(ec.Data)
	if err != nil {
		return fail(ErrMalformedContent, fmt.Errorf("data: %w", err))
	}
	if len(data) == 0 || len(data)%aes.BlockSize != 0 {
		return fail(ErrMalformedContent, fmt.Errorf("ciphertext is %d bytes, not a positive multiple of %d", len(data), aes.BlockSize))
	}
	wrapped, err := base64.StdEncoding.DecodeString(ec.DataKey)
	if err != nil {
		return fail(ErrMalformedContent, fmt.Errorf("dataKey: %w", err))
	}
	if len(wrapped) != priv.Size() {
		return fail(ErrKeyUnwrap, fmt.Errorf("dataKey is %d bytes, want %d", len(wrapped), priv.Size()))
	}

	key, err := rsa.DecryptOAEP(sha1.New(), nil, priv, wrapped, nil) //nolint:gosec // see import
	if err != nil {
		return fail(ErrKeyUnwrap, err)
	}
	if len(key) != symmetricKeySize {
		return fail(ErrKeyUnwrap, fmt.Errorf("symmetric key is %d bytes, want %d", len(key), symmetricKeySize))
	}

	mac := hmac.New(sha256.New, key)
	mac.Write(data)
	if !hmac.Equal(mac.Sum(nil), sig) {
		return fail(ErrSignatureMismatch, nil)
	}

	block, err := aes.NewCipher(key)
	if err != nil { // unreachable with a 32-byte key
		return fail(ErrKeyUnwrap, err)
	}
	plain := make([]byte, len(data))
	cipher.NewCBCDecrypter(block, key[:aes.BlockSize]).CryptBlocks(plain, data)
	plain, ok := unpadPKCS7(plain)
	if !ok {
		return fail(ErrBadPadding, nil)
	}
	return plain, nil
}

// unpadPKCS7 strips PKCS#7 padding (1..16 bytes, each equal to the count) from a whole number
// of AES blocks.
func unpadPKCS7(b []byte) ([]byte, bool) {
	if len(b) == 0 || len(b)%aes.BlockSize != 0 {
		return nil, false
	}
	n := int(b[len(b)-1])
	if n < 1 || n > aes.BlockSize {
		return nil, false
	}
	for _, c := range b[len(b)-n:] {
		if int(c) != n {
			return nil, false
		}
	}
	return b[:len(b)-n], true
}
