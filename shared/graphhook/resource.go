package graphhook

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// MaxResourceIDLength bounds one id parsed out of a resource path: 512 bytes. Teams meeting ids
// (base64 of "1*{organizer}*0**{thread}") are about 160.
const MaxResourceIDLength = 512

// maxResourceLength bounds a whole resource path before it is scanned.
const maxResourceLength = 4 * MaxResourceIDLength

// ErrUnsupportedResource means a notification's resource path is not one this package parses:
// wrong shape, empty or oversized ids, or characters no Graph id uses.
var ErrUnsupportedResource = errors.New("graphhook: unsupported resource path")

// TranscriptRef identifies a transcript named by a notification's resource. The ids are opaque:
// they may contain '/', '+' and '=' (meeting and transcript ids are base64), so path-escape them
// when building a URL, and never build the fetch URL from the notification alone (the organizer
// comes from the decrypted meetingOrganizer or the subscription).
type TranscriptRef struct {
	// UserID is the organizer's object id, present only for user-level subscriptions
	// (users/{id}/onlineMeetings/...); empty for communications/onlineMeetings/....
	UserID string
	// MeetingID is the onlineMeeting id.
	MeetingID string
	// TranscriptID is the callTranscript id.
	TranscriptID string
}

// ParseTranscriptResource parses a transcript notification's resource, in either the OData key
// form or the path form, with or without a leading '/':
//
//	communications/onlineMeetings('{meetingId}')/transcripts('{transcriptId}')
//	communications/onlineMeetings/{meetingId}/transcripts/{transcriptId}
//	users('{userId}')/onlineMeetings('{meetingId}')/transcripts('{transcriptId}')
//	users/{userId}/onlineMeetings/{meetingId}/transcripts/{transcriptId}
//
// Navigation names match case-insensitively, ids are percent-decoded, and anything else fails
// with ErrUnsupportedResource.
func ParseTranscriptResource(resource string) (TranscriptRef, error) {
	els, err := splitResource(resource)
	if err != nil {
		return TranscriptRef{}, fmt.Errorf("parse transcript resource: %w", err)
	}
	if ids, ok := matchResource(els, "communications", "onlineMeetings", "", "transcripts", ""); ok {
		return TranscriptRef{MeetingID: ids[0], TranscriptID: ids[1]}, nil
	}
	if ids, ok := matchResource(els, "users", "", "onlineMeetings", "", "transcripts", ""); ok {
		return TranscriptRef{UserID: ids[0], MeetingID: ids[1], TranscriptID: ids[2]}, nil
	}
	return TranscriptRef{}, fmt.Errorf("parse transcript resource: not a transcript path: %w", ErrUnsupportedResource)
}

// ParseCallRecordResource returns the call id named by a callRecords notification's resource,
// communications/callRecords/{id} or communications/callRecords('{id}'), with or without a
// leading '/'. Anything else fails with ErrUnsupportedResource.
func ParseCallRecordResource(resource string) (callID string, err error) {
	els, err := splitResource(resource)
	if err != nil {
		return "", fmt.Errorf("parse call record resource: %w", err)
	}
	ids, ok := matchResource(els, "communications", "callRecords", "")
	if !ok {
		return "", fmt.Errorf("parse call record resource: not a call record path: %w", ErrUnsupportedResource)
	}
	return ids[0], nil
}

type elementKind int

const (
	plainElement elementKind = iota // a path segment: a name or an id
	nameElement                     // a name followed by (key)
	keyElement                      // the key inside (...)
)

type element struct {
	kind elementKind
	text string
}

// splitResource splits a resource path into elements: name('key') gives a name and a key,
// other segments are plain. Quoted keys may contain '/'.
func splitResource(s string) ([]element, error) {
	if len(s) > maxResourceLength {
		return nil, fmt.Errorf("resource of %d bytes: %w", len(s), ErrUnsupportedResource)
	}
	s = strings.TrimPrefix(s, "/")
	if s == "" {
		return nil, fmt.Errorf("empty resource: %w", ErrUnsupportedResource)
	}
	var out []element
	for {
		i := strings.IndexAny(s, "/(")
		if i < 0 {
			return append(out, element{plainElement, s}), nil
		}
		if i == 0 {
			return nil, fmt.Errorf("empty path segment: %w", ErrUnsupportedResource)
		}
		if s[i] == '/' {
			out = append(out, element{plainElement, s[:i]})
			s = s[i+1:]
			if s == "" {
				return nil, fmt.Errorf("trailing '/': %w", ErrUnsupportedResource)
			}
			continue
		}
		out = append(out, element{nameElement, s[:i]})
		s = s[i+1:]
		var key string
		if strings.HasPrefix(s, "'") {
			end := strings.IndexByte(s[1:], '\'')
			if end < 0 {
				return nil, fmt.Errorf("unterminated key: %w", ErrUnsupportedResource)
			}
			key, s = s[1:1+end], s[2+end:]
			if !strings.HasPrefix(s, ")") {
				return nil, fmt.Errorf("unterminated key: %w", ErrUnsupportedResource)
			}
			s = s[1:]
		} else {
			end := strings.IndexByte(s, ')')
			if end < 0 {
				return nil, fmt.Errorf("unterminated key: %w", ErrUnsupportedResource)
			}
			key, s = s[:end], s[end+1:]
		}
		out = append(out, element{keyElement, key})
		switch {
		case s == "":
			return out, nil
		case s[0] == '/' && len(s) > 1:
			s = s[1:]
		default:
			return nil, fmt.Errorf("unexpected text after key: %w", ErrUnsupportedResource)
		}
	}
}

// matchResource matches els against a pattern of navigation names, "" standing for an id, and
// returns the ids in order.
func matchResource(els []element, pattern ...string) ([]string, bool) {
	if len(els) != len(pattern) {
		return nil, false
	}
	var ids []string
	for i, p := range pattern {
		el := els[i]
		if p != "" {
			if el.kind == keyElement || !strings.EqualFold(el.text, p) {
				return nil, false
			}
			continue
		}
		if el.kind == nameElement {
			return nil, false
		}
		id, ok := resourceID(el.text)
		if !ok {
			return nil, false
		}
		ids = append(ids, id)
	}
	return ids, true
}

// resourceID percent-decodes an id and accepts it if it is non-empty, at most
// MaxResourceIDLength bytes, and made only of characters Graph ids use (letters, digits and
// !$&*+,-./:;=@[]_~).
func resourceID(raw string) (string, bool) {
	id, err := url.PathUnescape(raw)
	if err != nil || id == "" || len(id) > MaxResourceIDLength {
		return "", false
	}
	for i := 0; i < len(id); i++ {
		if !idByte(id[i]) {
			return "", false
		}
	}
	return id, true
}

func idByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!$&*+,-./:;=@[]_~", c) >= 0
}
