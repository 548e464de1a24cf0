//! Decision paths: one execution's choices as a short printable string.
//!
//! An execution is a pure function of the configuration and its decisions.
//! Only points with more than one alternative are decisions. Each decision
//! is written as its value (a thread id, or the index of the alternative) in
//! base 32 with a continuation flag, followed by one check character: six
//! bits of a hash of what was decided there (the operation's kind and source
//! location for a thread choice). A replay compares the check at every
//! decision, so a path that no longer fits the program is refused at the
//! first point where it differs, not at some later crash.
//!
//! Format: `1` (the format version), then the decisions. The alphabet is
//! `[0-9A-Za-z-_]`, safe in a shell and an environment variable.

use std::fmt;

use crate::op::SourceLocation;

const ALPHABET: &[u8; 64] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_";
const VERSION: char = '1';

/// What a decision was about, hashed into its check character.
#[derive(Copy, Clone, Debug)]
pub struct Salt {
    /// The kind of decision and operation (`load`, `wake`...).
    pub kind: &'static str,
    /// Where in the user's source.
    pub location: SourceLocation,
}

impl Salt {
    /// The six-bit check of this salt.
    pub fn check(&self) -> u8 {
        // FNV-1a: stable across processes and platforms, unlike addresses.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut feed = |bytes: &[u8]| {
            for &b in bytes {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
        };
        feed(self.kind.as_bytes());
        feed(self.location.file().as_bytes());
        feed(&self.location.line().to_le_bytes());
        feed(&self.location.column().to_le_bytes());
        ((h >> 32) ^ h) as u8 & 63
    }
}

/// One decision as recorded during an execution.
#[derive(Copy, Clone, Debug)]
pub struct Recorded {
    /// The value chosen.
    pub value: u64,
    /// What it was about.
    pub salt: Salt,
}

/// One decision as read back from a path string.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// The value chosen.
    pub value: u64,
    /// The check character's six bits.
    pub check: u8,
}

/// Writes a path string.
pub fn encode(decisions: &[Recorded]) -> String {
    let mut out = String::with_capacity(1 + decisions.len() * 2);
    out.push(VERSION);
    for d in decisions {
        let mut v = d.value;
        loop {
            let digit = (v & 31) as usize;
            v >>= 5;
            if v == 0 {
                out.push(ALPHABET[digit] as char);
                break;
            }
            out.push(ALPHABET[32 + digit] as char);
        }
        out.push(ALPHABET[d.salt.check() as usize] as char);
    }
    out
}

/// Why a string is not a decision path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathSyntaxError(String);

impl fmt::Display for PathSyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CHECKER_REPLAY is not a decision path printed by checker: {}", self.0)
    }
}

impl std::error::Error for PathSyntaxError {}

/// Reads a path string.
pub fn decode(text: &str) -> Result<Vec<Decision>, PathSyntaxError> {
    let mut chars = text.chars();
    match chars.next() {
        Some(VERSION) => {}
        Some(c) => {
            return Err(PathSyntaxError(format!(
                "it starts with {c:?}, but paths of this checker version start with {VERSION:?}"
            )));
        }
        None => return Err(PathSyntaxError("it is empty".into())),
    }
    let digit =
        |c: char, at: usize| -> Result<u64, PathSyntaxError> {
            ALPHABET.iter().position(|&a| a as char == c).map(|p| p as u64).ok_or_else(|| {
                PathSyntaxError(format!("unexpected character {c:?} at position {at}"))
            })
        };
    let mut decisions = Vec::new();
    let mut value = 0u64;
    let mut shift = 0u32;
    let mut expect_check = false;
    for (i, c) in chars.enumerate() {
        let at = i + 1;
        let d = digit(c, at)?;
        if expect_check {
            decisions.push(Decision { value, check: d as u8 });
            value = 0;
            shift = 0;
            expect_check = false;
            continue;
        }
        if shift >= 64 {
            return Err(PathSyntaxError(format!("a value too large at position {at}")));
        }
        value |= (d & 31) << shift;
        shift += 5;
        if d < 32 {
            expect_check = true;
        }
    }
    if expect_check || shift != 0 {
        return Err(PathSyntaxError("it ends in the middle of a decision (truncated?)".into()));
    }
    Ok(decisions)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_round_trip() {
        let here = std::panic::Location::caller();
        let values = [0u64, 1, 31, 32, 1000, u64::MAX];
        let recorded: Vec<Recorded> = values
            .iter()
            .map(|&value| Recorded { value, salt: Salt { kind: "load", location: here } })
            .collect();
        let text = encode(&recorded);
        assert!(text.starts_with('1'));
        let back = decode(&text).unwrap();
        assert_eq!(back.iter().map(|d| d.value).collect::<Vec<_>>(), values);
        assert!(back.iter().all(|d| d.check == recorded[0].salt.check()));
        // Two characters per small decision.
        assert_eq!(encode(&recorded[..3]).len(), 1 + 3 * 2);
    }

    #[test]
    fn broken_paths_are_refused_with_a_reason() {
        assert!(decode("").unwrap_err().to_string().contains("empty"));
        assert!(decode("9ab").unwrap_err().to_string().contains("start with"));
        assert!(decode("1a!").unwrap_err().to_string().contains("'!'"));
        assert!(decode("12").unwrap_err().to_string().contains("truncated"));
        assert!(decode("1W").unwrap_err().to_string().contains("truncated"));
    }
}
