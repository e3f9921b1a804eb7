// Package generate turns a parsed transcript ([minutes.Transcript]) into draft minutes: the
// [Minutes] model, the [Generator] interface and its implementations.
//
//   - [Offline] is deterministic, uses no network and is fast: an extractive summary plus
//     rule-based decisions and action items (commitment and decision cues, the owner from
//     the speaker or the person named, due-date phrases resolved by [ResolveDue]). It is
//     the default locally and in air-gapped installs, and the fallback of [LLM].
//   - [LLM] asks an Azure OpenAI deployment or any OpenAI-compatible endpoint for
//     structured output (a JSON schema), chunking long transcripts by speaker turn and
//     merging the parts, and falls back to [Offline] (Minutes.Generator
//     "offline-fallback", Minutes.FallbackReason set) when the model refuses (content
//     filter) or the retry budget runs out.
//
// [TextRank] and [Rouge] exist to measure the offline summary against a classic extractive
// baseline (see bench/rouge).
//
// Invariants of every Minutes a generator returns:
//   - every decision has a quote that [minutes.Transcript.Quote] finds in the transcript,
//     and its At is where the quote begins (HH:MM:SS);
//   - an action item either has such a quote (Verified true) or has none (Verified false,
//     Quote and At empty): a model's quote that is not in the transcript is never shown as
//     one;
//   - Due is "" or a calendar date YYYY-MM-DD;
//   - the same input gives byte-identical JSON from [Offline].
//
// Logging never includes transcript text, quotes or summaries: only counts, durations,
// status codes and reasons.
package generate
