// Package upload takes a transcript file a tenant member uploads — WebVTT, or the .txt or
// .docx that Teams exports — and puts it into the meeting pipeline exactly where a transcript
// fetched from Microsoft Graph enters it: the file in the tenant's blob store, a meeting and a
// transcript in the tenant's store, the meeting's timeline, and a minutes-generate message.
// It serves meetings from other platforms, and tenants whose Graph access is off.
//
// # Invariants
//
//   - Nothing is read past Options.MaxBytes (50 MB): the content is read through a limit,
//     and a longer file is refused with 413 before anything is stored.
//   - The format is decided by the content, not the file name: the WebVTT signature, a ZIP
//     (a Word document), or UTF-8 text shaped like a transcript. Anything else (PDF, other
//     binaries, UTF-16, an empty file, text with no transcript in it) is a 400 whose message
//     names the accepted formats. Every refusal is a funchost.Status error, so the HTTP edge
//     maps it without knowing this package, and wraps one of the sentinels below for callers
//     that branch.
//   - A Word document is unpacked with bounds: at most MaxZipEntries entries, a central
//     directory of at most 1 MiB, word/document.xml read through MaxDocumentXMLBytes, the
//     extracted text capped at MaxBytes (zip bombs). Its text is converted to a layout
//     shared/minutes.ParseText reads and stored beside the original .docx, so MinutesGenerate
//     reads it back with minutes.Parse by its extension.
//   - Idempotent on the content: the transcript's external id is "upload:" + the hex SHA-256
//     of the file, the meeting's (source upload) is the hex SHA-256. The same file uploaded
//     twice is one meeting and one transcript; the second upload answers Created false.
//   - The meeting, transcript, timeline entry, status and audit entry ("transcript.uploaded",
//     ids, format and sizes only) are written in one transaction; the blobs are written inside
//     it, before the rows that name them. minutes-generate is sent after the commit under the
//     pipeline's dedupe key, without debounce.
//   - No transcript text reaches a log line or an error message.
package upload
