package license

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// IsToken reports whether s (white space trimmed) has a token's shape: three base64url
// segments joined by dots. Anything else given as LICENSE_KEY is a file path.
func IsToken(s string) bool {
	s = trim(s)
	if strings.Count(s, ".") != 2 {
		return false
	}
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// Load returns the token that value (LICENSE_KEY) stands for: value itself when [IsToken],
// else the contents of the file it names, white space trimmed. Errors name the file, never
// the token; a value that is neither a token nor a readable file is [ErrInvalid] when it
// looks like a damaged token (it starts like a JWT's header).
func Load(value string) (string, error) {
	value = trim(value)
	switch {
	case value == "":
		return "", fmt.Errorf("%w: empty", ErrInvalid)
	case IsToken(value):
		return value, nil
	case strings.HasPrefix(value, "eyJ"):
		// A token with a segment missing or a stray character: not a path, and not to be
		// echoed in an error.
		return "", fmt.Errorf("%w: not a well-formed license token", ErrInvalid)
	}
	return ReadFile(value)
}

// ReadFile reads a token from the file at path, white space trimmed, refusing files longer
// than a token can be.
func ReadFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("read license file: %w", pathError(err))
	}
	defer f.Close()
	tok, err := ReadToken(f)
	if err != nil {
		return "", fmt.Errorf("read license file %s: %w", clip(path), err)
	}
	return tok, nil
}

// ReadToken reads a token from r (a file, stdin), white space trimmed; at most
// [MaxTokenBytes] of token (plus a little white space) is read.
func ReadToken(r io.Reader) (string, error) {
	const slack = 4 << 10
	b, err := io.ReadAll(io.LimitReader(r, MaxTokenBytes+slack+1))
	if err != nil {
		return "", err
	}
	if len(b) > MaxTokenBytes+slack {
		return "", fmt.Errorf("%w: longer than %d KiB", ErrInvalid, MaxTokenBytes>>10)
	}
	tok := trim(string(b))
	if tok == "" {
		return "", fmt.Errorf("%w: empty", ErrInvalid)
	}
	return tok, nil
}

// pathError keeps os's message (it names the path, clipped) and the fs sentinel.
func pathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return &os.PathError{Op: pe.Op, Path: clip(pe.Path), Err: pe.Err}
	}
	return err
}
