// Package document renders approved minutes for distribution: a Word document (.docx), an
// HTML page that doubles as the e-mail body, and a plain-text alternative.
//
// The input is the minutes content as stored (the JSON model of shared/generate and
// shared/review, read tolerantly by [ParseContent]) plus the facts of the meeting and of the
// approval ([Facts]). The renderers are pure functions of that input.
//
// Invariants:
//   - The .docx is minimal hand-written Office Open XML (WordprocessingML) in a zip written
//     with archive/zip: [Content_Types].xml, _rels/.rels, word/document.xml,
//     word/_rels/document.xml.rels, word/styles.xml and docProps/core.xml. Every part is
//     well-formed XML 1.0 whatever the content: text is escaped, and characters XML 1.0
//     cannot carry (NUL and other C0 controls but tab and newline, lone surrogates, U+FFFE,
//     U+FFFF, invalid UTF-8) are dropped.
//   - The same input gives the same bytes: zip entries carry a fixed timestamp, are written
//     in a fixed order, and the core properties' dates come from Facts, never the clock.
//   - The HTML is produced by html/template, so content is escaped for its context; links are
//     kept only when they are http or https URLs.
//   - Right-to-left paragraphs (Hebrew, Arabic, ...) are marked as such in the .docx and get
//     dir="auto" in HTML.
//   - Each text is cut to [MaxTextRunes] characters, so a hostile or runaway content cannot
//     make a document of unbounded size.
package document
