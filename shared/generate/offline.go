package generate

import (
	"context"
	"math"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/meetingminutes/minutes/shared/minutes"
)

// Offline is the deterministic generator: no network, no randomness, no clock. The same
// Input gives byte-identical minutes.
type Offline struct {
	// MaxDecisions and MaxActionItems cap the lists (defaults 20 and 30).
	MaxDecisions, MaxActionItems int
}

var _ Generator = (*Offline)(nil)

// Summary length bounds, in words: an eighth of the transcript, within these.
const (
	minSummaryWords = 80
	maxSummaryWords = 250
)

// Generate drafts minutes from in.Transcript. It fails only when the transcript is nil or
// ctx is done.
func (o *Offline) Generate(ctx context.Context, in Input) (Minutes, error) {
	if in.Transcript == nil {
		return Minutes{}, ErrNoTranscript
	}
	if err := ctx.Err(); err != nil {
		return Minutes{}, err
	}
	t := in.Transcript
	turns := t.Turns()
	sents := splitTurns(turns, t)
	people := newRoster(in.Attendees, t.Speakers)

	m := Minutes{
		Title:       title(in),
		Decisions:   []Decision{},
		ActionItems: []ActionItem{},
		Attendees:   attendees(in, people),
		Generator:   GeneratorOffline,
		Language:    firstNonEmpty(in.Template.Language, t.Language),
	}
	maxD, maxA := orDefault(o.MaxDecisions, 20), orDefault(o.MaxActionItems, 30)

	var decisions []int // indexes into sents
	var actions []found
	for i := range sents {
		if i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return Minutes{}, err
			}
		}
		s := &sents[i]
		if isDecision(s.Text) {
			decisions = append(decisions, i)
		}
		if a, ok := findAction(sents, i, people, in.Start); ok {
			actions = append(actions, a)
		}
	}
	if in.Template.has("decisions") {
		for _, i := range decisions {
			if len(m.Decisions) == maxD {
				break
			}
			m.Decisions = append(m.Decisions, Decision{
				Text: sentenceCase(clean(sents[i].Text)), Quote: sents[i].Text, At: minutes.FormatTimestamp(sents[i].At),
			})
		}
	}
	actions = dedupeActions(actions)
	if in.Template.has("action_items") {
		for _, a := range actions {
			if len(m.ActionItems) == maxA {
				break
			}
			m.ActionItems = append(m.ActionItems, a.item)
		}
	}
	if in.Template.has("summary") {
		m.Summary = summarize(sents, decisions, actions, people, t.WordCount())
	}
	if !in.Template.has("attendees") {
		m.Attendees = []Attendee{}
	}
	return m, nil
}

func title(in Input) string {
	if s := strings.TrimSpace(in.Subject); s != "" {
		return s
	}
	if !in.Start.IsZero() {
		return "Meeting on " + in.Start.Format("2 January 2006")
	}
	return "Meeting minutes"
}

func attendees(in Input, people roster) []Attendee {
	if len(in.Attendees) > 0 {
		out := make([]Attendee, 0, len(in.Attendees))
		for _, a := range in.Attendees {
			out = append(out, Attendee{Name: displayName(a.Name), Email: strings.TrimSpace(a.Email)})
		}
		return out
	}
	out := make([]Attendee, 0, len(in.Transcript.Speakers))
	for _, s := range in.Transcript.Speakers {
		p, ok := people.lookup(s)
		if !ok {
			p = Attendee{Name: s}
		}
		out = append(out, p)
	}
	return out
}

// Decision cues, matched on the lower-cased sentence with apostrophes normalised.
var decisionCue = regexp.MustCompile(`\b(?:we(?:'ve| have)? (?:decided|agreed)|(?:the|our|my) decision is|decision(?: is)?:|let's go (?:with|ahead)|we'll go (?:with|ahead)|we're going (?:to go )?with|go with option|(?:that's|it's) (?:agreed|settled|decided)|agreed[,:] (?:we|the|let's)|we're agreed|so we're (?:doing|going with|going ahead)|we're (?:keeping|dropping|shipping|moving|pausing|cutting|postponing)|(?:we will|we'll|let's) (?:ship|launch|move|use|keep|drop|postpone|delay|stick|switch|cut|freeze|defer|target|hire|pause|raise|build|add|offer|credit|cap|pre-scale|lock|approve|make|not|send|go for|do option)|final (?:answer|call|decision)|(?:is|are) approved|we're not going to|consensus is|decided to|agree to|(?:then |so )?we (?:approve|accept|adopt|choose) (?:the|option|plan))(?:\W|$)`)

func isDecision(s string) bool {
	if strings.HasSuffix(s, "?") || countWords(s) < 4 {
		return false
	}
	return decisionCue.MatchString(normalize(s))
}

// normalize lower-cases the ASCII letters of s and straightens apostrophes: byte offsets
// in the result are offsets in straight(s).
func normalize(s string) string { return lowerASCII(straight(s)) }

// straight replaces typographic apostrophes with ASCII ones.
func straight(s string) string { return strings.ReplaceAll(s, "\u2019", "'") }

// lowerASCII lower-cases ASCII letters only, so byte offsets are kept.
func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// found is an action item with where it came from.
type found struct {
	item ActionItem
	sent int
}

var (
	// firstPersonCue is a commitment by the speaker; the rest of the sentence is the task.
	firstPersonCue = regexp.MustCompile(`\b(?:i'll|i will|i'm going to|i am going to|i'm gonna|i can|let me|i need to|i have to|i'll make sure (?:to|that i|i)|i'll go ahead and|i'll try to)\s+(.+)`)
	// namedCue follows a person's name: "Priya will own the migration".
	namedCue = regexp.MustCompile(`^(?:'ll|\s+(will|is going to|is gonna|can|needs to|has to|should|to|owns|is taking|takes|is on))\s+(.+)`)
	// requestCue asks the listener (named or the next speaker).
	requestCue = regexp.MustCompile(`\b(?:can|could|would|will) you(?: please)?\s+(.+)`)
	// someoneCue asks for a volunteer; "I'll take it" in the next turn answers it.
	someoneCue = regexp.MustCompile(`\b(?:can|could|would) (?:someone|somebody|anyone)\s+(.+)|\bwho(?: can|'s going to| will| wants to)\s+(.+)|\b(?:someone|somebody) (?:needs|has) to\s+(.+)`)
	// takeIt is a volunteer's answer without a task of its own.
	takeIt = regexp.MustCompile(`^(?:i'll|i will|i can|let me) (?:take|do|handle|own|grab|pick up) (?:it|that|this|that one|this one)\b|^(?:i'm on it|on it|mine)\b`)
	// affirmative opens an answer that accepts a request.
	affirmative = regexp.MustCompile(`^(?:yes|yeah|yep|sure|ok|okay|will do|absolutely|of course|no problem|on it|definitely|i can|i'll|i will|happy to|can do|sounds good)\b`)
	// actionItemCue is said aloud: "action item for Dan: ...".
	actionItemCue = regexp.MustCompile(`\baction item(?:s)?(?: for (?:me|you|[a-z]+))?[:,]?\s+(.+)`)
)

// Verbs after "I'll" that do not promise work done after the meeting.
var notTaskVerbs = map[string]bool{
	"be": true, "say": true, "admit": true, "tell": true, "just": true, "share": true, "stop": true,
	"show": true, "pull": true, "go": false, "see": true, "hear": true, "think": true, "guess": true,
	"bet": true, "explain": true, "answer": true, "jump": true, "start": true, "recap": true,
	"summarize": true, "summarise": true, "repeat": true, "hand": true, "pass": true, "leave": true,
	"let": true, "need": true, "imagine": true, "understand": true, "live": true, "only": true,
	"also": false, "mute": true, "unmute": true, "drop": true, "hop": true, "read": true,
	"scroll": true, "ask": true, "wrap": true, "try": false, "definitely": false, "still": true,
	"probably": true, "maybe": true, "not": true, "never": true, "come": true, "keep": true,
	"speak": true, "talk": true, "check": false, "get": false, "put": false, "have": false,
	"give": true, "walk": true, "hold": true, "remember": true, "agree": true,
	"confirm": false, "kick": true, "move": false, "continue": true, "add": false, "wait": true,
	"clarify": true, "echo": true, "second": true, "double": false, "screen": true, "present": true,
	"can": true, "could": true, "would": true, "should": true, "will": true, "do": false,
	"write": false, "that": true, "this": true, "it": true, "what": true, "how": true, "why": true,
	"really": true, "honestly": true, "loud": true,
}

// findAction reads an action item from sents[i], if it holds one.
func findAction(sents []sentence, i int, people roster, meeting time.Time) (found, bool) {
	s := sents[i]
	text := straight(s.Text)
	low := lowerASCII(text)
	owner, task := "", ""
	quoteStart := 0 // byte offset in s.Text where the quote starts

	switch {
	case takeIt.MatchString(strings.TrimLeft(stripFillers(low), " ")):
		// "I'll take it": the task is the open request in the previous turn.
		prev, ok := previousRequest(sents, i)
		if !ok {
			return found{}, false
		}
		owner, task = s.Speaker, prev
	default:
		if m := actionItemCue.FindStringSubmatchIndex(low); m != nil {
			task = text[m[2]:m[3]]
			owner = s.Speaker
			if p, _, _, ok := people.named(text[m[0]:m[2]]); ok {
				owner = p.Name
			} else if strings.Contains(low[m[0]:m[2]], " for you") {
				owner = nextSpeaker(sents, i)
			}
			break
		}
		if p, _, end, ok := people.named(text); ok {
			rest := text[end:]
			if m := namedCue.FindStringSubmatchIndex(normalize(rest)); m != nil {
				owner, task = p.Name, rest[m[4]:m[5]]
				if m[2] >= 0 {
					switch rest[m[2]:m[3]] {
					case "owns":
						task = "own " + task
					case "is taking", "takes":
						task = "take " + task
					case "is on":
						task = "work on " + task
					}
				}
				break
			}
			if m := requestCue.FindStringSubmatchIndex(normalize(rest)); m != nil && strings.TrimSpace(rest[:m[0]]) == "," || m != nil && m[0] <= 2 {
				owner, task = p.Name, rest[m[2]:m[3]]
				break
			}
		}
		if m := firstPersonCue.FindStringSubmatchIndex(low); m != nil && !hypothetical(low[:m[0]]) {
			owner, task = s.Speaker, text[m[2]:m[3]]
			quoteStart = 0
			break
		}
		if m := requestCue.FindStringSubmatchIndex(low); m != nil && strings.HasSuffix(text, "?") {
			next, ok := nextSentence(sents, i)
			if !ok || !affirmative.MatchString(stripFillers(normalize(next.Text))) {
				return found{}, false
			}
			owner, task = next.Speaker, text[m[2]:m[3]]
			break
		}
		return found{}, false
	}
	task = tidyTask(task)
	if !isTask(task) {
		return found{}, false
	}
	it := ActionItem{Task: task, Quote: s.Text[quoteStart:], At: minutes.FormatTimestamp(s.At), Verified: true}
	if d, ok := ResolveDue(text, meeting); ok {
		it.Due = d.Date
		if without := tidyTask(strings.Replace(it.Task, d.Phrase, "", 1)); isTask(without) {
			it.Task = without
		}
	}
	if p, ok := people.lookup(owner); ok {
		it.Owner, it.OwnerEmail = p.Name, p.Email
	} else {
		it.Owner = owner
	}
	return found{item: it, sent: i}, true
}

// isTask reports whether t, a tidied task, promises work: it opens with a verb that is not
// about the meeting itself ("share my screen", "start with the QA status") and has an
// object with content ("have it" and "confirm that" do not).
func isTask(t string) bool {
	ws := words(t)
	if len(ws) < 2 || notTaskVerbs[ws[0]] {
		return false
	}
	for _, w := range ws[1:] {
		if !stopword(w) && len(w) > 1 {
			return true
		}
	}
	return false
}

// hypothetical reports whether the words before a commitment make it conditional or past
// ("if I'll", "I thought I'd").
func hypothetical(before string) bool {
	b := " " + strings.TrimSpace(before) + " "
	return strings.Contains(b, " if ") || strings.Contains(b, " unless ") || strings.Contains(b, " not sure ") ||
		strings.Contains(b, " don't think ") || strings.Contains(b, " whether ") || strings.Contains(b, ", so ") ||
		strings.Contains(b, " so that ")
}

// previousRequest finds an open request ("can someone update the wiki?") in the sentences
// before i, at most three back and in another speaker's turn.
func previousRequest(sents []sentence, i int) (string, bool) {
	for j := i - 1; j >= 0 && j >= i-3; j-- {
		if sents[j].Speaker == sents[i].Speaker {
			continue
		}
		text := straight(sents[j].Text)
		low := lowerASCII(text)
		if m := someoneCue.FindStringSubmatchIndex(low); m != nil {
			for k := 2; k+1 < len(m); k += 2 {
				if m[k] >= 0 {
					return text[m[k]:m[k+1]], true
				}
			}
		}
		if m := requestCue.FindStringSubmatchIndex(low); m != nil {
			return text[m[2]:m[3]], true
		}
	}
	return "", false
}

func nextSentence(sents []sentence, i int) (sentence, bool) {
	for j := i + 1; j < len(sents) && j <= i+3; j++ {
		if sents[j].Turn != sents[i].Turn && sents[j].Speaker != sents[i].Speaker && sents[j].Speaker != "" {
			return sents[j], true
		}
	}
	return sentence{}, false
}

func nextSpeaker(sents []sentence, i int) string {
	if s, ok := nextSentence(sents, i); ok {
		return s.Speaker
	}
	return ""
}

func firstWord(s string) string {
	s = strings.TrimLeft(s, " ,")
	if i := strings.IndexFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && r != '\'' }); i >= 0 {
		return s[:i]
	}
	return s
}

// fillers open spoken sentences without adding to them.
var fillers = []string{
	"ok", "okay", "so", "yeah", "yes", "right", "alright", "all right", "um", "uh", "erm", "well",
	"and", "but", "look", "honestly", "i think", "i mean", "great", "cool", "good", "sure",
	"actually", "basically", "anyway", "fine", "perfect", "then", "now", "oh", "hmm", "yep",
	"you know", "like", "just", "also", "totally", "absolutely", "fair enough", "got it", "thanks",
	"thank you", "makes sense", "sounds good", "agreed", "exactly", "true", "no",
}

// stripFillers removes fillers from the start of a lower-cased sentence.
func stripFillers(low string) string {
	for changed := true; changed; {
		changed = false
		low = strings.TrimLeft(low, " ,.-–—!;:")
		for _, f := range fillers {
			if strings.HasPrefix(low, f) && (len(low) == len(f) || !isWordByte(low[len(f)])) {
				low = low[len(f):]
				changed = true
			}
		}
	}
	return low
}

// clean strips fillers from the start of s (keeping its case) and spoken hesitations
// inside it.
func clean(s string) string {
	s = straight(s)
	low := lowerASCII(s)
	rest := stripFillers(low)
	s = s[len(low)-len(rest):]
	for _, h := range []string{" um,", " uh,", " um", " uh", " erm,", " you know,"} {
		s = strings.ReplaceAll(s, h, "")
	}
	return strings.TrimSpace(s)
}

// tidyTask turns the words after a commitment cue into a task: trimmed of trailing
// politeness and punctuation, first letter capitalised.
func tidyTask(t string) string {
	t = strings.Join(strings.Fields(t), " ")
	t = strings.ReplaceAll(t, " ,", ",")
	for _, clause := range []string{", so ", ", which ", ", because ", ", since ", ", you ", ", they ", ", it ", ", i ", ", we ", ", but ", ", and then ", ", then ", ", if "} {
		if i := strings.Index(strings.ToLower(t), clause); i > 0 {
			t = t[:i]
		}
	}
	for _, suffix := range []string{"?", ".", "!", ",", " please", " for me", " okay", " ok", " right", " then", " as well", " too", " if that works", " if you can", " as soon as possible", " asap"} {
		for strings.HasSuffix(strings.ToLower(t), suffix) {
			t = strings.TrimSpace(t[:len(t)-len(suffix)])
		}
	}
	for changed := true; changed; {
		changed = false
		for _, prefix := range []string{"go ahead and ", "also ", "just ", "definitely ", "make sure to ", "make sure that i ", "try to ", "please ", "quickly ", "actually ", "probably ", "still ", "then "} {
			if strings.HasPrefix(strings.ToLower(t), prefix) {
				t, changed = t[len(prefix):], true
			}
		}
	}
	t = strings.TrimRight(t, " ,;:-")
	return sentenceCase(t)
}

func sentenceCase(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	if size == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[size:]
}

// dedupeActions keeps the first of items with the same owner and much the same task,
// taking a due date from a later one when the first has none.
func dedupeActions(in []found) []found {
	var out []found
	for _, a := range in {
		dup := false
		for k := range out {
			if out[k].item.Owner == a.item.Owner && jaccard(words(out[k].item.Task), words(a.item.Task)) >= 0.5 {
				if out[k].item.Due == "" {
					out[k].item.Due = a.item.Due
				}
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, a)
		}
	}
	return out
}

func jaccard(a, b []string) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	set := map[string]int{}
	for _, w := range a {
		set[w] |= 1
	}
	for _, w := range b {
		set[w] |= 2
	}
	both := 0
	for _, v := range set {
		if v == 3 {
			both++
		}
	}
	return float64(both) / float64(len(set))
}

// Words that open a meeting's purpose ("today we need to decide…").
var introCue = regexp.MustCompile(`\b(today|agenda|goal|purpose|main thing|we need to (?:decide|agree|figure)|want to (?:go through|review|discuss|decide|cover|talk)|this meeting|the plan for|kick ?off|catch up on|review (?:the|our))\b`)

// summarize writes the summary: the meeting's purpose, then the most central discussion
// points, then the decisions and the commitments in third person, within a word budget.
func summarize(sents []sentence, decisions []int, actions []found, people roster, totalWords int) string {
	budget := min(max(totalWords/8, minSummaryWords), maxSummaryWords)
	if len(sents) == 0 {
		return ""
	}
	central := centrality(sents)
	used := make(map[int]bool)
	type part struct {
		text  string
		order int // 0 purpose, 1 discussion, 2 decisions, 3 actions
		at    int
	}
	var parts []part
	words := 0
	add := func(text string, order, at int) bool {
		n := countWords(text)
		if n == 0 || words+n > budget && words > 0 {
			return false
		}
		parts = append(parts, part{text, order, at})
		words += n
		return true
	}

	// Purpose: the best intro sentence in the first fifth of the meeting.
	limit := max(len(sents)/5, 1)
	bestIntro, bestScore := -1, 0.0
	for i := 0; i < limit; i++ {
		low := normalize(sents[i].Text)
		if !introCue.MatchString(low) || sents[i].Words < 6 || strings.HasSuffix(sents[i].Text, "?") {
			continue
		}
		if sc := central[i] + 1/(1+float64(i)/10); sc > bestScore {
			bestIntro, bestScore = i, sc
		}
	}
	if bestIntro >= 0 {
		used[bestIntro] = true
		add(thirdPerson(clean(sents[bestIntro].Text), sents[bestIntro].Speaker, people), 0, bestIntro)
	}
	for _, i := range decisions {
		if used[i] {
			continue
		}
		used[i] = true
		add(thirdPerson(clean(sents[i].Text), sents[i].Speaker, people), 2, i)
	}
	for _, a := range actions {
		if used[a.sent] {
			continue
		}
		used[a.sent] = true
		add(actionSentence(a, sents, people), 3, a.sent)
	}
	// Discussion: the most central remaining sentences, longest-first among ties.
	order := make([]int, 0, len(sents))
	for i := range sents {
		if !used[i] && sents[i].Words >= 8 && sents[i].Words <= 40 && !strings.HasSuffix(sents[i].Text, "?") {
			order = append(order, i)
		}
	}
	sort.SliceStable(order, func(a, b int) bool { return central[order[a]] > central[order[b]] })
	for _, i := range order {
		if words >= budget {
			break
		}
		add(thirdPerson(clean(sents[i].Text), sents[i].Speaker, people), 1, i)
	}
	sort.SliceStable(parts, func(a, b int) bool {
		if parts[a].order != parts[b].order {
			return parts[a].order < parts[b].order
		}
		return parts[a].at < parts[b].at
	})
	var b strings.Builder
	for i, p := range parts {
		if i > 0 {
			b.WriteByte(' ')
		}
		t := strings.TrimSpace(p.text)
		b.WriteString(t)
		if !strings.HasSuffix(t, ".") && !strings.HasSuffix(t, "!") && !strings.HasSuffix(t, "?") {
			b.WriteByte('.')
		}
	}
	return b.String()
}

// actionSentence says an action item in the third person: "Dan will send the deck by
// Friday."
func actionSentence(a found, sents []sentence, people roster) string {
	owner := "Someone"
	if a.item.Owner != "" {
		owner = people.short(a.item.Owner)
	}
	task := a.item.Task
	if task != "" {
		r, size := utf8.DecodeRuneInString(task)
		if !(size < len(task) && unicode.IsUpper(rune(task[size]))) { // keep acronyms ("QA")
			task = string(unicode.ToLower(r)) + task[size:]
		}
	}
	s := owner + " will " + task
	if a.item.Due != "" {
		if d, ok := ResolveDue(straight(sents[a.sent].Text), time.Time{}); ok {
			s += " " + d.Phrase
		} else if d, ok := resolveDuePhrase(straight(sents[a.sent].Text)); ok {
			s += " " + d
		}
	}
	return s + "."
}

// resolveDuePhrase finds the due phrase of a sentence without a meeting date (any date
// resolves, so only the phrase matters).
func resolveDuePhrase(text string) (string, bool) {
	d, ok := ResolveDue(text, time.Date(2000, 1, 3, 0, 0, 0, 0, time.UTC))
	return d.Phrase, ok
}

// thirdPerson rewrites a sentence's opening from first to third person: "I'll send" →
// "Dan will send", "let's go with" → "the team will go with", "we decided" → "the team
// decided".
func thirdPerson(s, speaker string, people roster) string {
	who := "The speaker"
	if speaker != "" {
		who = people.short(speaker)
	}
	s = straight(s)
	low := lowerASCII(s)
	for _, r := range []struct{ from, to string }{
		{"i'll ", who + " will "}, {"i will ", who + " will "}, {"i'm going to ", who + " will "},
		{"i am going to ", who + " will "}, {"i can ", who + " can "}, {"let me ", who + " will "},
		{"i need to ", who + " needs to "}, {"i think ", who + " thinks "}, {"i'd ", who + " would "},
		{"i want ", who + " wants "}, {"i'm ", who + " is "}, {"i ", who + " "},
		{"let's ", "The team will "}, {"we'll ", "The team will "}, {"we will ", "The team will "},
		{"we're going to ", "The team will "}, {"we're ", "The team is "}, {"we've ", "The team has "},
		{"we ", "The team "}, {"our ", "The team's "},
	} {
		if strings.HasPrefix(low, r.from) {
			return r.to + s[len(s)-len(low)+len(r.from):]
		}
	}
	return sentenceCase(s)
}

// centrality scores each sentence by how typical its content words are of the meeting: the
// mean log frequency of its non-stop words, damped for very short sentences.
func centrality(sents []sentence) []float64 {
	tf := map[string]int{}
	toks := make([][]string, len(sents))
	for i, s := range sents {
		for _, w := range words(s.Text) {
			if !stopword(w) && len(w) > 2 {
				toks[i] = append(toks[i], w)
				tf[w]++
			}
		}
	}
	out := make([]float64, len(sents))
	for i, ws := range toks {
		if len(ws) == 0 {
			continue
		}
		sum := 0.0
		for _, w := range ws {
			sum += math.Log(float64(tf[w]))
		}
		out[i] = sum / float64(len(ws)) * math.Min(1, float64(len(ws))/6)
	}
	return out
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

func orDefault(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}
