package minutes

import (
	"bytes"
	"html"
	"strings"
	"unicode"
	"unicode/utf8"
)

// cueText turns raw cue payloads (WebVTT cue text: lines joined with LF) into plain text and
// the speaker. Its buffers are reused from cue to cue, so a parse allocates little more
// than the strings it returns.
type cueText struct {
	out      []byte            // plain text being built
	ann      []byte            // voice annotation being built
	speakers map[string]string // interned speaker names
}

// build returns the plain text of raw and the annotation of its first named <v> span ("" if
// none), and whether a later <v> span names someone else. Tags are stripped, character
// references decoded, white space collapsed.
//
// Markup follows the WebVTT cue-text tokenizer: "<" opens a tag that runs to the next ">"
// (or to the end of the payload), whatever its name (<v>, </v>, <b>, <i>, <u>, <c.x>,
// <lang en>, <ruby>, <rt>, timestamps like <00:00:01.000>); only a <v> start tag carries
// meaning. A second <v> span in one cue starts a new word but not a new speaker.
// Character references are decoded after tags are stripped, so "&lt;b&gt;" is the text
// "<b>", never a tag.
func (ct *cueText) build(raw []byte) (text, speaker string, mixed bool) {
	var st plainState
	out := ct.out[:0]
	for len(raw) > 0 {
		lt := bytes.IndexByte(raw, '<')
		if lt < 0 {
			out = st.append(out, raw)
			break
		}
		out = st.append(out, raw[:lt])
		raw = raw[lt+1:]
		var tag []byte
		if gt := bytes.IndexByte(raw, '>'); gt < 0 {
			tag, raw = raw, nil
		} else {
			tag, raw = raw[:gt], raw[gt+1:]
		}
		if isVoiceTag(tag) {
			st.space = true // a new voice is a new word
			if name := ct.annotation(tag); speaker == "" {
				speaker = name
			} else if name != "" && name != speaker {
				mixed = true
			}
		}
	}
	ct.out = out
	if !st.entity {
		return string(out), speaker, mixed
	}
	return collapseSpace(html.UnescapeString(string(out))), speaker, mixed
}

// annotation returns the speaker named by a <v> tag's contents (such as "v.loud Jane Doe"),
// interned, or "" when the tag names nobody.
func (ct *cueText) annotation(tag []byte) string {
	sp := bytes.IndexAny(tag, " \t\n\f\r\v")
	if sp < 0 {
		return ""
	}
	var st plainState
	ct.ann = st.append(ct.ann[:0], tag[sp:])
	if st.entity {
		return ct.intern(collapseSpace(html.UnescapeString(string(ct.ann))))
	}
	if s, ok := ct.speakers[string(ct.ann)]; ok {
		return s
	}
	return ct.intern(string(ct.ann))
}

// intern returns the one copy of name kept for this parse, so that a speaker's thousand
// cues share one string.
func (ct *cueText) intern(name string) string {
	if name == "" {
		return ""
	}
	if s, ok := ct.speakers[name]; ok {
		return s
	}
	if ct.speakers == nil {
		ct.speakers = make(map[string]string)
	}
	ct.speakers[name] = name
	return name
}

// plainState carries white-space collapsing across the text segments between tags.
type plainState struct {
	space  bool // white space seen since the last character written
	entity bool // an '&' was written: character references need decoding
}

// append appends src to dst with each run of white space collapsed to one space (none at
// the start of dst), NUL and invalid UTF-8 replaced by U+FFFD, as WebVTT decoding does.
func (st *plainState) append(dst, src []byte) []byte {
	for i := 0; i < len(src); {
		c := src[i]
		if c < utf8.RuneSelf {
			i++
			if isASCIISpace(c) {
				st.space = true
				continue
			}
			dst = st.sep(dst)
			switch c {
			case 0:
				dst = append(dst, "\uFFFD"...)
			case '&':
				st.entity = true
				dst = append(dst, c)
			default:
				dst = append(dst, c)
			}
			continue
		}
		r, size := utf8.DecodeRune(src[i:])
		if unicode.IsSpace(r) {
			st.space = true
			i += size
			continue
		}
		dst = st.sep(dst)
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, "\uFFFD"...)
		} else {
			dst = append(dst, src[i:i+size]...)
		}
		i += size
	}
	return dst
}

// sep writes the pending space, if any, before a character is written.
func (st *plainState) sep(dst []byte) []byte {
	if st.space && len(dst) > 0 {
		dst = append(dst, ' ')
	}
	st.space = false
	return dst
}

// isVoiceTag reports whether the contents of a tag (the bytes between "<" and ">") are a
// <v> start tag: the name "v", then classes ("."), white space or nothing.
func isVoiceTag(tag []byte) bool {
	return len(tag) > 0 && tag[0] == 'v' && (len(tag) == 1 || tag[1] == '.' || isASCIISpace(tag[1]))
}

// isASCIISpace reports whether c is white space: the WebVTT set (space, tab, LF, FF, CR)
// plus vertical tab, as unicode.IsSpace has it.
func isASCIISpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == '\v'
}

// collapseSpace trims s and collapses each run of Unicode white space to one ASCII space.
func collapseSpace(s string) string {
	f := strings.Fields(s)
	if len(f) == 1 {
		return f[0]
	}
	return strings.Join(f, " ")
}
