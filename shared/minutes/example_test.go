package minutes_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/meetingminutes/minutes/shared/minutes"
)

func ExampleParseVTT() {
	const vtt = "WEBVTT\n\n" +
		"4f2d8c1a-7b3e-4e9f-a0c6-2d5b8e1f7a93/22-0\n00:01:17.400 --> 00:01:24.150\n" +
		"<v Tomás Ortega>I can have a release candidate on the twenty-fourth,</v>\n\n" +
		"4f2d8c1a-7b3e-4e9f-a0c6-2d5b8e1f7a93/22-1\n00:01:24.150 --> 00:01:28.600\n" +
		"<v Tomás Ortega>assuming QA &amp; ops get two full days with it.</v>\n"
	t, err := minutes.ParseVTT(strings.NewReader(vtt), minutes.ParseOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, turn := range t.Turns() {
		fmt.Printf("[%s] %s: %s\n", minutes.FormatTimestamp(turn.Start), turn.Speaker, turn.Text)
	}
	// Output:
	// [00:01:17] Tomás Ortega: I can have a release candidate on the twenty-fourth, assuming QA & ops get two full days with it.
}

func ExampleTranscript_Quote() {
	t, _ := minutes.ParseVTT(strings.NewReader("WEBVTT\n\n"+
		"00:00:37.900 --> 00:00:41.320\n<v Priya Raman>OK. Decision: we ship the beta\n\n"+
		"00:00:41.320 --> 00:00:43.000\n<v Priya Raman>with the retry in place.\n"), minutes.ParseOptions{})

	span, ok := t.Quote("we ship the beta with the retry") // runs across two cues
	fmt.Println(ok, span.Speaker, minutes.FormatTimestamp(span.Start), span.Cue, span.LastCue)

	_, ok = t.Quote("we will ship the beta with a retry") // a paraphrase
	fmt.Println(ok)
	// Output:
	// true Priya Raman 00:00:37 0 1
	// false
}

func ExampleParseError() {
	_, err := minutes.ParseVTT(strings.NewReader("WEBVTT\n\n00:00:05.000 --> 00:00:04.000\nhi\n"),
		minutes.ParseOptions{Strict: true})
	var pe *minutes.ParseError
	if errors.As(err, &pe) {
		fmt.Println(pe.Line, pe.Reason)
	}
	// Output:
	// 3 cue ends (4s) before it starts (5s)
}
