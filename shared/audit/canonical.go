package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/meetingminutes/minutes/shared/tenancy"
)

// FormatTag is the first field of every canonical entry: the chain format's name and version.
const FormatTag = "minutes.audit.v1"

// hashLen is the length of prev_hash and hash (SHA-256).
const hashLen = sha256.Size

// genesis is the prev_hash of a tenant's first entry.
var genesis = make([]byte, hashLen)

// FormatTime returns t as the chain hashes it: UTC, truncated to microseconds, RFC 3339 with
// the shortest fraction.
func FormatTime(t time.Time) string {
	return storedTime(t).Format(time.RFC3339Nano)
}

// ComputeHash recomputes the record's hash from its fields and PrevHash, as [Verify] does.
// It is exact for records read from the database ([Append], [List]); details built in Go may
// print numbers differently from PostgreSQL (1e21 for 1000000000000000000000).
func (r Record) ComputeHash() ([]byte, error) {
	details := r.Details
	if details == nil {
		details = map[string]any{}
	}
	raw, err := json.Marshal(details)
	if err != nil {
		return nil, fmt.Errorf("encode audit details: %w", err)
	}
	canon, err := canonicalJSON(raw)
	if err != nil {
		return nil, err
	}
	return chainHash(r.PrevHash, canonicalEntry(r.Tenant, r.Seq, r.Entry, canon)), nil
}

// chainHash is SHA-256(prev || canonical).
func chainHash(prev, canonical []byte) []byte {
	h := sha256.New()
	h.Write(prev)
	h.Write(canonical)
	return h.Sum(nil)
}

// canonicalEntry is the length-prefixed field encoding documented in the package doc;
// details is the canonical JSON of the entry's details.
func canonicalEntry(tenant tenancy.ID, seq int64, e Entry, details []byte) []byte {
	fields := [][]byte{
		[]byte(FormatTag),
		[]byte(tenant.String()),
		strconv.AppendInt(nil, seq, 10),
		[]byte(FormatTime(e.At)),
		[]byte(e.Actor.Type),
		[]byte(e.Actor.ID),
		[]byte(e.Action),
		[]byte(e.Target.Type),
		[]byte(e.Target.ID),
		details,
	}
	n := 0
	for _, f := range fields {
		n += 4 + len(f)
	}
	out := make([]byte, 0, n)
	for _, f := range fields {
		out = binary.BigEndian.AppendUint32(out, uint32(len(f)))
		out = append(out, f...)
	}
	return out
}

// canonicalJSON re-encodes a JSON object (as PostgreSQL prints a jsonb value) canonically.
func canonicalJSON(raw []byte) ([]byte, error) {
	v, err := decodeJSON(raw)
	if err != nil {
		return nil, err
	}
	if _, ok := v.(map[string]any); !ok {
		return nil, fmt.Errorf("%w: details must be a JSON object", ErrInvalidEntry)
	}
	var b bytes.Buffer
	if err := writeCanonical(&b, v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// decodeJSON decodes one JSON value keeping numbers as their literal text.
func decodeJSON(raw []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, fmt.Errorf("decode audit details: %w", err)
	}
	if d.More() {
		return nil, fmt.Errorf("decode audit details: trailing data")
	}
	return v, nil
}

func writeCanonical(b *bytes.Buffer, v any) error {
	switch v := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case json.Number:
		b.WriteString(string(v))
	case string:
		writeString(b, v)
	case []any:
		b.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := writeCanonical(b, e); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys) // Go compares strings bytewise: UTF-8 byte order
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeString(b, k)
			b.WriteByte(':')
			if err := writeCanonical(b, v[k]); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	default:
		return fmt.Errorf("encode audit details: unexpected %T", v)
	}
	return nil
}

// writeString writes s as a JSON string with minimal escaping (see the package doc).
func writeString(b *bytes.Buffer, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		case '\f':
			b.WriteString(`\f`)
		case '\r':
			b.WriteString(`\r`)
		default:
			if c < 0x20 {
				b.WriteString(`\u00`)
				b.WriteByte(hex[c>>4])
				b.WriteByte(hex[c&0xf])
			} else {
				b.WriteByte(c)
			}
		}
	}
	b.WriteByte('"')
}
