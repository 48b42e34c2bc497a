//! Token counts in OpenAI's o200k_base encoding, from a table built at compile time.
//!
//! Only counts are needed (budgets, fitting, statistics), never token ids or decoding,
//! so the vocabulary is kept as one byte string with an end offset per rank and an
//! open-addressing table of ranks (`o200k_table.rs`), built by `build.rs` from
//! OpenAI's file and embedded in the binary: nothing is decoded or allocated when the
//! counter starts, and only the pages a lookup touches are read. The counts are
//! tiktoken's exactly: the same split pattern, then each piece either is a token or is
//! merged pair by pair, lowest rank first (ties to the left), as tiktoken's
//! `encode_ordinary` does (tests compare with the `tiktoken-rs` crate).

#[path = "o200k_table.rs"]
mod table;

use fancy_regex::Regex;
use std::collections::BinaryHeap;

/// Every token's bytes, in rank order (see `o200k_table.rs`).
static BYTES: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/o200k.bytes"));
/// Where each token ends in [`BYTES`], a little-endian `u32` per rank.
static ENDS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/o200k.ends"));
/// Open addressing by [`table::hash`]: `rank + 1` as a little-endian `u32`, 0 for an
/// empty slot.
static SLOTS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/o200k.slots"));

/// The o200k_base split pattern (tiktoken's `O200K_BASE_PAT_STR`).
const PATTERN: &str = concat!(
    r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
    "|",
    r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
    "|",
    r"\p{N}{1,3}",
    "|",
    r" ?[^\s\p{L}\p{N}]+[\r\n/]*",
    "|",
    r"\s*[\r\n]+",
    "|",
    r"\s+(?!\S)",
    "|",
    r"\s+",
);

/// Pieces at least this long are merged with a heap (as tiktoken does), shorter ones
/// by scanning, which is faster for the few parts a short piece has.
const LARGE_PIECE: usize = 100;

/// No pair of parts has a rank.
const NONE: u32 = u32::MAX;

/// The `i`th little-endian `u32` of `table`.
fn word(table: &[u8], i: usize) -> u32 {
    let b = &table[4 * i..4 * i + 4];
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

/// The o200k_base vocabulary and split pattern.
pub(crate) struct O200k {
    /// Bits of the hash not used to index [`SLOTS`].
    shift: u32,
    split: Regex,
}

impl O200k {
    /// The counter over the embedded table (compiles the split pattern).
    pub(crate) fn load() -> Result<O200k, String> {
        let slots = SLOTS.len() / 4;
        if !slots.is_power_of_two() || ENDS.is_empty() {
            return Err("the embedded o200k table is malformed".to_owned());
        }
        Ok(O200k {
            shift: 64 - slots.trailing_zeros(),
            split: Regex::new(PATTERN).map_err(|e| e.to_string())?,
        })
    }

    /// Tokens in the vocabulary.
    #[cfg(test)]
    fn len(&self) -> usize {
        ENDS.len() / 4
    }

    fn token(&self, rank: usize) -> &'static [u8] {
        let start = if rank == 0 { 0 } else { word(ENDS, rank - 1) };
        &BYTES[start as usize..word(ENDS, rank) as usize]
    }

    /// The rank of `bytes` when they are one token.
    fn rank(&self, bytes: &[u8]) -> u32 {
        let mask = SLOTS.len() / 4 - 1;
        let mut slot = table::slot_of(table::hash(bytes), self.shift);
        loop {
            match word(SLOTS, slot) {
                0 => return NONE,
                r if self.token(r as usize - 1) == bytes => return r - 1,
                _ => slot = (slot + 1) & mask,
            }
        }
    }

    /// Tokens of `text` (tiktoken's `encode_ordinary(text).len()`).
    pub(crate) fn count(&self, text: &str) -> usize {
        let mut count = 0;
        let mut done = 0;
        for piece in self.split.find_iter(text) {
            let Ok(piece) = piece else {
                // The pattern's one look-ahead gave up (backtracking limit): count the
                // rest generously rather than not at all.
                return count + (text.len() - done).div_ceil(2);
            };
            done = piece.end();
            let bytes = piece.as_str().as_bytes();
            count += if self.rank(bytes) != NONE {
                1
            } else if bytes.len() < LARGE_PIECE {
                self.merge_small(bytes)
            } else {
                self.merge_large(bytes)
            };
        }
        count
    }

    /// Tokens of a piece that is not one token: merge the lowest-ranked adjacent pair
    /// (the leftmost of equals) until no pair is a token.
    fn merge_small(&self, piece: &[u8]) -> usize {
        // (start of the part, rank of the part joined with the next one)
        let mut parts: Vec<(usize, u32)> = (0..piece.len())
            .map(|i| {
                let rank = piece.get(i..i + 2).map_or(NONE, |pair| self.rank(pair));
                (i, rank)
            })
            .collect();
        parts.push((piece.len(), NONE));
        let joined = |parts: &[(usize, u32)], i: usize| match parts.get(i + 3) {
            Some(&(end, _)) => self.rank(&piece[parts[i].0..end]),
            None => NONE,
        };
        while let Some((i, _)) = parts[..parts.len() - 1]
            .iter()
            .enumerate()
            .filter(|(_, (_, rank))| *rank != NONE)
            .min_by_key(|(i, (_, rank))| (*rank, *i))
        {
            if i > 0 {
                parts[i - 1].1 = joined(&parts, i - 1);
            }
            parts[i].1 = joined(&parts, i);
            parts.remove(i + 1);
        }
        parts.len() - 1
    }

    /// [`merge_small`](Self::merge_small) for a long piece, with a heap of candidate
    /// merges instead of a scan per merge.
    fn merge_large(&self, piece: &[u8]) -> usize {
        /// A part of the piece: `start..end`, followed by the part ending at
        /// `next_end`; `next_rank` is the rank of the two joined (if a token).
        struct Part {
            prev: usize,
            end: usize,
            next_end: usize,
            next_rank: u32,
        }
        let mut parts: Vec<Part> = (0..piece.len())
            .map(|i| Part {
                prev: i.wrapping_sub(1),
                end: i + 1,
                next_end: i + 2,
                next_rank: NONE,
            })
            .collect();
        // Lowest rank first, then leftmost.
        let mut heap = BinaryHeap::new();
        for i in 0..piece.len() - 1 {
            let rank = self.rank(&piece[i..i + 2]);
            if rank != NONE {
                parts[i].next_rank = rank;
                heap.push(std::cmp::Reverse((rank, i)));
            }
        }
        let mut count = piece.len();
        while let Some(std::cmp::Reverse((rank, left))) = heap.pop() {
            if parts[left].next_rank != rank {
                continue; // superseded by a later merge
            }
            let right = parts[left].end;
            let right_end = parts[left].next_end;
            let after = parts[right].next_end;
            count -= 1;
            parts[left].end = right_end;
            parts[right].next_rank = NONE;
            // The merged part and the one after it.
            parts[left].next_end = after;
            parts[left].next_rank = NONE;
            if after <= piece.len() {
                let rank = self.rank(&piece[left..after]);
                if rank != NONE {
                    parts[left].next_rank = rank;
                    heap.push(std::cmp::Reverse((rank, left)));
                }
            }
            if right_end < piece.len() {
                parts[right_end].prev = left;
            }
            // The part before and the merged one.
            if left > 0 {
                let prev = parts[left].prev;
                parts[prev].next_end = right_end;
                parts[prev].next_rank = NONE;
                let rank = self.rank(&piece[prev..right_end]);
                if rank != NONE {
                    parts[prev].next_rank = rank;
                    heap.push(std::cmp::Reverse((rank, prev)));
                }
            }
        }
        count
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::LazyLock;

    static TABLE: LazyLock<O200k> = LazyLock::new(|| O200k::load().expect("vocabulary"));
    static TIKTOKEN: LazyLock<tiktoken_rs::CoreBPE> =
        LazyLock::new(|| tiktoken_rs::o200k_base().expect("tiktoken"));

    fn same_as_tiktoken(text: &str) {
        assert_eq!(
            TABLE.count(text),
            TIKTOKEN.encode_ordinary(text).len(),
            "count of {text:?}"
        );
    }

    #[test]
    fn the_vocabulary_is_openais_file() {
        use sha2::Digest;
        let vocabulary = include_str!("../data/o200k_base.tiktoken");
        let digest = sha2::Sha256::digest(vocabulary.as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d"
        );
        // The embedded table is the one built from that file.
        let built = table::build(vocabulary).expect("table");
        assert!(built.bytes == BYTES && built.ends == ENDS && built.slots == SLOTS);
        assert_eq!(TABLE.len(), 199_998);
        // Every token is found at its own rank.
        for rank in 0..TABLE.len() {
            assert_eq!(TABLE.rank(TABLE.token(rank)) as usize, rank);
        }
        assert_eq!(TABLE.rank(b"\xff\xfe\xfd\xfc not a token"), NONE);
    }

    #[test]
    fn counts_are_tiktokens_on_real_text() {
        for text in [
            "",
            " ",
            "\n\n\n",
            "hello world",
            "Hello, World! It's 2026; they'll've done it.",
            "fn main() {\n    println!(\"{}\", 1234567 + 89);\n}\n",
            "resource \"aws_db_instance\" \"main\" {\n  multi_az = false\n}\n",
            "   leading and trailing   \n\t\r\n  ",
            "日本語のテキストと中文文本, Ελληνικά, русский, עברית, العربية",
            "emoji 🎉🚀👩‍💻 and combining e\u{301} marks",
            "CamelCaseIdentifierWithACRONYMSInside and snake_case_names",
            "0x7fffffff 3.14159 1e-9 123456789012345",
            "  \n  \n    x",
            "a'S b'T c'RE d'Ve e'm f'LL g'd",
            include_str!("pack.rs"),
            include_str!("../data/README.md"),
        ] {
            same_as_tiktoken(text);
        }
    }

    #[test]
    fn long_pieces_count_as_tiktoken_does() {
        // Pieces past the heap threshold, with many equal ranks to break ties.
        for text in [
            "a".repeat(99),
            "a".repeat(100),
            "a".repeat(1_001),
            "ab".repeat(700),
            "abcdefghijklmnopqrstuvwxyz".repeat(40),
            "!@#$%^&*()".repeat(50),
            format!("x{}y", "é".repeat(300)),
            "ꙮ".repeat(150),
        ] {
            same_as_tiktoken(&text);
        }
    }

    #[test]
    fn counts_are_tiktokens_on_random_text() {
        // A fixed generator: the same strings every run.
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let alphabet: Vec<char> =
            "aAbBzZ09 _-'\"\n\r\t/\\.,;:{}()[]<>=+*&^%$#@!?~`|éßÆñ日本語中文🎉👩\u{301}\u{200d}Ωж"
                .chars()
                .collect();
        for _ in 0..3_000 {
            let len = (next() % 200) as usize;
            let text: String = (0..len)
                .map(|_| {
                    let r = next();
                    // Runs of one character now and then, like real files have.
                    alphabet[(r % alphabet.len() as u64) as usize]
                })
                .collect();
            same_as_tiktoken(&text);
            let word = alphabet[(next() % alphabet.len() as u64) as usize];
            let run: String = std::iter::repeat_n(word, (next() % 300) as usize).collect();
            same_as_tiktoken(&format!("{text}{run}{text}"));
        }
    }
}
