package blob

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

const (
	// MaxKeyLen is the longest key in bytes (Azure's limit on blob names).
	MaxKeyLen = 1024
	// MaxSegmentLen is the longest segment of a key in bytes (the common file-name limit).
	MaxSegmentLen = 255
)

// ValidateKey checks that key is a valid object key (see the package documentation) and
// returns an error wrapping [ErrInvalidKey] naming the rule it breaks.
func ValidateKey(key string) error {
	if err := checkPath(key, false); err != nil {
		return fmt.Errorf("%w %q: %s", ErrInvalidKey, clip(key), err.reason)
	}
	return nil
}

// validatePrefix checks a List prefix: "" (everything), or a key's leading part, which may end
// with "/" or in the middle of a segment.
func validatePrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	if err := checkPath(prefix, true); err != nil {
		return fmt.Errorf("%w: prefix %q: %s", ErrInvalidKey, clip(prefix), err.reason)
	}
	return nil
}

// validateDirPrefix checks a DeletePrefix prefix: non-empty, ending with "/".
func validateDirPrefix(prefix string) error {
	if !strings.HasSuffix(prefix, "/") {
		return fmt.Errorf("%w: prefix %q: must be non-empty and end with \"/\"", ErrInvalidKey, clip(prefix))
	}
	return validatePrefix(prefix)
}

type keyError struct{ reason string }

func checkPath(p string, prefix bool) *keyError {
	switch {
	case p == "":
		return &keyError{"empty"}
	case len(p) > MaxKeyLen:
		return &keyError{fmt.Sprintf("longer than %d bytes", MaxKeyLen)}
	case !utf8.ValidString(p):
		return &keyError{"not valid UTF-8"}
	case strings.HasPrefix(p, "/"):
		return &keyError{"leading slash"}
	case strings.ContainsRune(p, '\\'):
		return &keyError{"backslash"}
	case strings.ContainsFunc(p, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return &keyError{"control character"}
	}
	body := p
	if prefix {
		body = strings.TrimSuffix(p, "/")
		if body == "" {
			return &keyError{"leading slash"}
		}
	} else {
		if strings.HasSuffix(p, "/") {
			return &keyError{"trailing slash"}
		}
		if strings.HasSuffix(p, ".") {
			return &keyError{"trailing dot"}
		}
	}
	for seg := range strings.SplitSeq(body, "/") {
		switch {
		case seg == "":
			return &keyError{"empty segment"}
		case seg[0] == '.':
			return &keyError{"segment starts with a dot"}
		case len(seg) > MaxSegmentLen:
			return &keyError{fmt.Sprintf("segment longer than %d bytes", MaxSegmentLen)}
		}
	}
	return nil
}

// clip shortens s for an error message.
func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
