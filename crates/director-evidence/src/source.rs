//! Line bookkeeping for analyzed files: byte offsets to 1-based lines, and the
//! verbatim quote of a line range that every finding carries as its evidence.
//!
//! Lines are the ones `str::lines` yields (a trailing `\r` is not part of a line), so
//! a finding's `evidence` always equals the file's lines `start..=end` joined with `\n`.

/// The longest evidence quote, in lines. Longer ranges are cut to their first lines so
/// that a finding on a 200-line block quotes its head, not the whole block.
pub(crate) const MAX_EVIDENCE_LINES: u32 = 12;

/// A file's text with an index of where each line starts.
#[derive(Debug)]
pub(crate) struct SourceText<'a> {
    /// Repository-relative path.
    pub path: &'a str,
    /// The whole text.
    pub text: &'a str,
    /// Byte offset of the start of every line.
    starts: Vec<usize>,
}

impl<'a> SourceText<'a> {
    /// Index `text`.
    pub fn new(path: &'a str, text: &'a str) -> SourceText<'a> {
        let mut starts = Vec::with_capacity(text.len() / 32 + 1);
        starts.push(0);
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        SourceText { path, text, starts }
    }

    /// Number of lines (`str::lines` semantics: a final newline does not open a line).
    pub fn line_count(&self) -> u32 {
        let n = self.starts.len();
        let last_is_empty = self.starts.last().is_some_and(|&s| s >= self.text.len());
        let n = if last_is_empty { n - 1 } else { n };
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    /// The 1-based line holding byte `offset` (offsets past the end map to the last line).
    pub fn line_of(&self, offset: usize) -> u32 {
        let idx = match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let line = u32::try_from(idx + 1).unwrap_or(u32::MAX);
        line.min(self.line_count().max(1))
    }

    /// The lines covering the byte range `start..end` (end exclusive).
    pub fn lines_of(&self, start: usize, end: usize) -> (u32, u32) {
        let first = self.line_of(start);
        let last = self.line_of(end.saturating_sub(1).max(start));
        (first, last.max(first))
    }

    /// The text of 1-based line `n` without its line break.
    pub fn line(&self, n: u32) -> &'a str {
        let Some(idx) = (n as usize).checked_sub(1) else {
            return "";
        };
        let Some(&start) = self.starts.get(idx) else {
            return "";
        };
        match self.starts.get(idx + 1) {
            // Ended by `\n`: a `\r` before it belongs to the line break (`\r\n`).
            Some(&next) => {
                let raw = self.text.get(start..next - 1).unwrap_or("");
                raw.strip_suffix('\r').unwrap_or(raw)
            }
            // The last line has no line break, so a trailing `\r` is text, as `str::lines`
            // keeps it (found by the dockerfile fuzz target).
            None => self.text.get(start..).unwrap_or(""),
        }
    }

    /// Clamp a line range to the file and to [`MAX_EVIDENCE_LINES`], and quote it.
    pub fn quote(&self, lines: (u32, u32)) -> ((u32, u32), String) {
        let count = self.line_count().max(1);
        let start = lines.0.clamp(1, count);
        let end = lines.1.clamp(start, count);
        let end = end.min(start + MAX_EVIDENCE_LINES - 1);
        let text = (start..=end)
            .map(|n| self.line(n))
            .collect::<Vec<_>>()
            .join("\n");
        ((start, end), text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_offsets() {
        let s = SourceText::new("a", "one\ntwo\r\nthree\n");
        assert_eq!(s.line_count(), 3);
        assert_eq!(s.line_of(0), 1);
        assert_eq!(s.line_of(4), 2);
        assert_eq!(s.line_of(9), 3);
        assert_eq!(s.line_of(999), 3);
        assert_eq!(s.line(2), "two");
        assert_eq!(s.line(4), "");
        assert_eq!(s.lines_of(4, 14), (2, 3));
    }

    #[test]
    fn quote_matches_str_lines() {
        let text = "a\nb\r\nc\nd";
        let s = SourceText::new("f", text);
        let ((start, end), q) = s.quote((2, 3));
        let expected: Vec<&str> = text.lines().collect();
        assert_eq!((start, end), (2, 3));
        assert_eq!(q, expected[1..3].join("\n"));
        let ((s2, e2), _) = s.quote((0, 99));
        assert_eq!((s2, e2), (1, 4));
    }

    #[test]
    fn a_last_line_keeps_its_carriage_returns_as_str_lines_does() {
        for text in ["FROM a\r\r", "x\r\nFROM a\r", "a\r\n\r", "\r"] {
            let s = SourceText::new("f", text);
            let expected: Vec<&str> = text.lines().collect();
            assert_eq!(s.line_count() as usize, expected.len(), "{text:?}");
            for (i, want) in expected.iter().enumerate() {
                assert_eq!(s.line(i as u32 + 1), *want, "{text:?} line {}", i + 1);
            }
        }
    }

    #[test]
    fn quote_is_capped() {
        let text = (1..=40)
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join("\n");
        let s = SourceText::new("f", &text);
        let ((start, end), q) = s.quote((3, 40));
        assert_eq!((start, end), (3, 3 + MAX_EVIDENCE_LINES - 1));
        assert_eq!(q.lines().count() as u32, MAX_EVIDENCE_LINES);
    }

    #[test]
    fn empty_text() {
        let s = SourceText::new("f", "");
        assert_eq!(s.line_count(), 0);
        assert_eq!(s.line_of(0), 1);
        assert_eq!(s.quote((1, 1)), ((1, 1), String::new()));
    }
}
