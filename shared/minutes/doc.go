// Package minutes turns a meeting transcript into minutes. This part of it is the
// transcript: the model ([Transcript], [Cue], [Turn]) and the parsers that build it from
// what Teams produces, WebVTT ([ParseVTT], as Microsoft Graph serves transcripts) and the
// plain-text export ([ParseText]), with [Parse] choosing between them by name and content.
//
//	t, err := minutes.ParseVTT(body, minutes.ParseOptions{})
//	if err != nil { … }            // errors.Is(err, minutes.ErrNotVTT), errors.As(err, &pe) …
//	for _, turn := range t.Turns() {
//		fmt.Printf("[%s] %s: %s\n", minutes.FormatTimestamp(turn.Start), turn.Speaker, turn.Text)
//	}
//	span, ok := t.Quote(item.Quote) // is the model's quote really in the transcript, and when?
//
// Invariants of every *Transcript a parser returns (the fuzz tests check them):
//   - 0 <= Cue.Start <= Cue.End for every cue, and Cues are sorted by Start, cues with
//     equal starts in source order;
//   - Cue.Text is plain text: not empty, valid UTF-8, no markup (a "<" in it came from a
//     character reference such as "&lt;", never from a tag), no line breaks, no leading,
//     trailing or repeated white space;
//   - Cue.Speaker is "" (unknown) or a trimmed, single-spaced, valid UTF-8 name; Speakers
//     holds each non-empty speaker once, in order of first appearance;
//   - Duration is the largest Cue.End; Skipped counts what a lenient parse dropped.
//
// Parsers never panic, stream their input (memory grows with the transcript's text, not
// with the size of the input; the longest line is buffered whole) and read at most
// [ParseOptions.MaxBytes]+1 bytes (64 MiB by default). A strict parse rejects what a
// lenient parse repairs or skips; the lenient one, the default, is what ingest wants.
//
// Speaker attribution: a WebVTT cue's speaker is its <v> span's annotation. Teams writes
// one <v> span per cue; when a cue holds several, its whole text goes to the first named
// voice, which is wrong for the others, and Transcript.MixedVoices counts such cues. With Teams' "attributed transcripts" switched off
// there may be no <v> span at all: every speaker is then "", and [Transcript.Turns] keeps
// such cues apart rather than guess that consecutive ones are one person.
//
// Offsets in the minutes model ("at") are written by [FormatTimestamp] and read by
// [ParseTimestamp].
package minutes
