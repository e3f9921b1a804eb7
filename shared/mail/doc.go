// Package mail sends the product's e-mail — invitations, approved minutes, notices — through
// one [Sender] interface with two implementations today: [SMTP] (any relay, over STARTTLS)
// and [Dir] (each message written as an .eml file, for `make run`, tests and air-gapped
// installs without a relay). A Microsoft Graph sendMail sender is the planned third.
//
// Every sender renders a [Message] the same way: RFC 5322 headers, RFC 2047 encoded words for
// non-ASCII display names and subjects, and a MIME body — text/plain alone, or
// multipart/alternative with text/plain and text/html — in quoted-printable UTF-8, so the
// output is 7-bit clean for any relay.
//
// # Invariants
//
//   - A message is validated completely before any connection is made or file written:
//     every address must parse with net/mail as a bare ASCII address, and no header value,
//     display name or address may hold CR, LF or another control character, so a user-supplied
//     name or subject can never inject a header (a Bcc, say) or split the message. Failures
//     wrap [ErrInvalidMessage].
//   - Message.ID is the idempotency key: it becomes the Message-ID (<ID@from-domain>) and the
//     [Dir] file name, so re-sending one ID leaves one file, and mail clients that collapse
//     duplicates by Message-ID show one message even if an SMTP retry delivers twice. SMTP
//     itself cannot promise exactly-once; a job that must, records the send.
//   - [SMTP] refuses to talk to a non-loopback relay without STARTTLS, and authenticates
//     (AUTH PLAIN) only after TLS is up or on loopback. The password is never part of an error
//     or a log value (SMTPConfig redacts itself in %v, %#v, slog and JSON).
//   - Each send is bounded by [SMTPConfig.Timeout] and the caller's context, whichever ends
//     first, including a server that accepts and then never speaks.
package mail
