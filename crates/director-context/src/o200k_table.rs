//! The o200k lookup table's layout, shared by `build.rs` (which builds the table from
//! `data/o200k_base.tiktoken` at compile time) and [`crate::o200k`] (which reads it
//! from the binary, so nothing is decoded or allocated at run time).
//!
//! Three little-endian arrays:
//! - `bytes`: every token's bytes, in rank order;
//! - `ends`: `u32` per rank, where the token ends in `bytes` (it starts where the
//!   previous one ends);
//! - `slots`: an open-addressing table indexed by the top bits of [`hash`], at most
//!   half full, holding `rank + 1` (0 for an empty slot) as `u32`.

/// The built table (see the module documentation).
#[cfg(any(test, not(o200k_lib)))]
pub struct Table {
    pub bytes: Vec<u8>,
    pub ends: Vec<u8>,
    pub slots: Vec<u8>,
}

/// Build the table from the `.tiktoken` text (one `base64-token rank` per line, ranks
/// in order from 0).
///
/// Compiled into `build.rs` and the library's tests (which rebuild the table to compare
/// it with the embedded one), not into the library: `build.rs` sets `o200k_lib` for it.
#[cfg(any(test, not(o200k_lib)))]
pub fn build(vocabulary: &str) -> Result<Table, String> {
    use base64::Engine as _;
    let mut bytes = Vec::with_capacity(vocabulary.len() * 3 / 8);
    let mut ends: Vec<u32> = Vec::new();
    for (expected, line) in vocabulary.lines().enumerate() {
        let (token, rank) = line
            .split_once(' ')
            .ok_or_else(|| format!("vocabulary line {} has no rank", expected + 1))?;
        if rank.parse::<usize>().ok() != Some(expected) {
            return Err(format!("vocabulary line {} is out of order", expected + 1));
        }
        base64::engine::general_purpose::STANDARD
            .decode_vec(token, &mut bytes)
            .map_err(|e| format!("vocabulary line {}: {e}", expected + 1))?;
        ends.push(u32::try_from(bytes.len()).map_err(|e| e.to_string())?);
    }
    let token = |rank: usize| {
        let start = if rank == 0 {
            0
        } else {
            ends[rank - 1] as usize
        };
        &bytes[start..ends[rank] as usize]
    };
    // At most half full: a lookup probes one or two slots.
    let len = (ends.len() * 2).next_power_of_two();
    let shift = 64 - len.trailing_zeros();
    let mut slots = vec![0u32; len];
    for rank in 0..ends.len() {
        let mut slot = slot_of(hash(token(rank)), shift);
        while slots[slot] != 0 {
            if token(slots[slot] as usize - 1) == token(rank) {
                return Err(format!("vocabulary repeats token {rank}"));
            }
            slot = (slot + 1) & (len - 1);
        }
        slots[slot] = u32::try_from(rank + 1).map_err(|e| e.to_string())?;
    }
    let le = |words: &[u32]| words.iter().flat_map(|w| w.to_le_bytes()).collect();
    Ok(Table {
        ends: le(&ends),
        slots: le(&slots),
        bytes,
    })
}

/// The slot of a hash in a table of `2^(64 - shift)` slots (its top bits).
pub fn slot_of(hash: u64, shift: u32) -> usize {
    usize::try_from(hash >> shift).unwrap_or(0)
}

/// A fast hash of a short byte string (FxHash's mixing, eight bytes at a time).
pub fn hash(bytes: &[u8]) -> u64 {
    const K: u64 = 0xf135_7aea_2e62_a9c5;
    let mut h = bytes.len() as u64;
    // The last chunk is zero-padded.
    for chunk in bytes.chunks(8) {
        let mut word = [0; 8];
        word[..chunk.len()].copy_from_slice(chunk);
        h = (h ^ u64::from_le_bytes(word))
            .wrapping_mul(K)
            .rotate_left(26);
    }
    // Mix the high bits, which index the table, with the low ones.
    (h ^ (h >> 29)).wrapping_mul(K)
}
