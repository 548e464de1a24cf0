//! Recipes: where a forked timeline split off, and with which seed.
//!
//! A timeline that was forked carries the list of its splits from the root
//! timeline: for each, the number of decisions made since the previous split
//! (since the start of the execution for the first), the seed the source
//! of decisions was reseeded with there, and which walk drew them (a
//! uniform random walk unless a tag says otherwise: `pos`, or RFF's
//! constraints). Printed as
//! `151@1f2e3d4c5b6a7980->80@9a0b1c2d3e4f5061:pos`, decimal counts, hex
//! seeds and an optional `:walk` tag (`:=`: the previous split's walk
//! again, as nested splits of one strategy have); the root timeline's recipe is empty
//! and prints as nothing. Counts are relative so a recipe reads like the
//! timeline it names: 151 decisions, a split, 80 more, a split.
//!
//! [`child_seed`] derives a child's seed from everything that tells two
//! children apart, so no two splits anywhere in a run share a seed.

use std::fmt;
use std::str::FromStr;

/// One split of a timeline: after `decision` decisions (counted from the
/// previous split) the timeline was reseeded with `seed`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Split {
    /// Decisions made since the previous split (or the execution's start).
    pub decision: u64,
    /// The seed of every decision after the split.
    pub seed: u64,
}

/// The splits of a timeline, from the root; empty for the root timeline.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Recipe {
    splits: Vec<Split>,
    /// Per split, the walk that drew its decisions (`None`: uniform).
    walks: Vec<Option<String>>,
}

/// Can `tag` name a walk in a recipe: not empty, and only lower-case
/// letters, digits, `=`, `.` and `,` (no `->`, `+`, `:` or space, which
/// the recipe and the replay string use).
pub fn is_walk_tag(tag: &str) -> bool {
    !tag.is_empty()
        && tag.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"=.,".contains(&b))
}

impl Recipe {
    /// The root timeline's recipe: no split.
    pub fn root() -> Recipe {
        Recipe::default()
    }

    /// A recipe of the given splits, from the root, all uniform walks.
    pub fn from_splits(splits: Vec<Split>) -> Recipe {
        let walks = vec![None; splits.len()];
        Recipe { splits, walks }
    }

    /// The walk that drew split `i`'s decisions (`None`: uniform).
    pub fn walk(&self, i: usize) -> Option<&str> {
        self.walks.get(i).and_then(|w| w.as_deref())
    }

    /// Every split's walk, from the root.
    pub fn walks(&self) -> &[Option<String>] {
        &self.walks
    }

    /// The splits, from the root.
    pub fn splits(&self) -> &[Split] {
        &self.splits
    }

    /// The number of splits: the timeline's depth (0 for the root).
    pub fn depth(&self) -> usize {
        self.splits.len()
    }

    /// This recipe followed by one more split, a uniform walk.
    pub fn child(&self, decision: u64, seed: u64) -> Recipe {
        self.child_walk(decision, seed, None)
    }

    /// This recipe followed by one more split, whose decisions `walk`
    /// draws (a tag, see [`is_walk_tag`]; `None`: uniform).
    pub fn child_walk(&self, decision: u64, seed: u64, walk: Option<&str>) -> Recipe {
        debug_assert!(walk.is_none_or(is_walk_tag), "a walk tag: {walk:?}");
        let mut r = self.clone();
        r.splits.push(Split { decision, seed });
        r.walks.push(walk.map(str::to_string));
        r
    }

    /// Each split's decision index counted from the execution's start, with
    /// its seed (`None` if the sum does not fit in a `u64`).
    pub fn absolute(&self) -> Option<Vec<Split>> {
        let mut at = 0u64;
        self.splits
            .iter()
            .map(|s| {
                at = at.checked_add(s.decision)?;
                Some(Split { decision: at, seed: s.seed })
            })
            .collect()
    }
}

impl fmt::Display for Recipe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.splits.iter().enumerate() {
            if i > 0 {
                f.write_str("->")?;
            }
            write!(f, "{}@{:016x}", s.decision, s.seed)?;
            if let Some(Some(walk)) = self.walks.get(i) {
                if i > 0 && self.walks[i - 1].as_ref() == Some(walk) {
                    f.write_str(":=")?;
                } else {
                    write!(f, ":{walk}")?;
                }
            }
        }
        Ok(())
    }
}

/// Why a recipe did not parse: what is wrong and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecipeError {
    /// Byte offset in the text where the problem starts.
    pub offset: usize,
    /// Which split (0-based) the problem is in.
    pub split: usize,
    /// What is wrong.
    pub what: String,
}

impl fmt::Display for RecipeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "bad recipe: split {} (at byte {}): {}; a recipe looks like 151@1f2e3d4c5b6a7980->80@9a0b1c2d3e4f5061",
            self.split + 1,
            self.offset,
            self.what
        )
    }
}

impl std::error::Error for RecipeError {}

impl FromStr for Recipe {
    type Err = RecipeError;

    /// Parses what [`Recipe`]'s `Display` prints. Spaces around the whole
    /// text and around each `->` are allowed; an empty text is the root.
    fn from_str(text: &str) -> Result<Recipe, RecipeError> {
        let mut splits = Vec::new();
        let mut walks = Vec::new();
        if text.trim().is_empty() {
            return Ok(Recipe { splits, walks });
        }
        let mut offset = 0;
        for (index, part) in text.split("->").enumerate() {
            let err = |at: usize, what: String| RecipeError { offset: at, split: index, what };
            let lead = part.len() - part.trim_start().len();
            let item = part.trim();
            let start = offset + lead;
            offset += part.len() + 2;
            if item.is_empty() {
                return Err(err(start, "empty split (expected DECISIONS@HEXSEED)".into()));
            }
            let (item, walk) = match item.split_once(':') {
                Some((item, walk)) => {
                    if !is_walk_tag(walk) {
                        let at = start + item.len() + 1;
                        return Err(err(
                            at,
                            format!("`{walk}` is not a walk (lower-case letters, digits, `=.,`)"),
                        ));
                    }
                    if walk == "=" {
                        let Some(Some(previous)) = walks.last() else {
                            let at = start + item.len() + 1;
                            return Err(err(
                                at,
                                "`=` repeats a walk, but the split before has none".into(),
                            ));
                        };
                        let previous: String = String::clone(previous);
                        (item, Some(previous))
                    } else {
                        (item, Some(walk.to_string()))
                    }
                }
                None => (item, None),
            };
            let Some((decision, seed)) = item.split_once('@') else {
                return Err(err(
                    start,
                    format!("`{item}` has no `@` (expected DECISIONS@HEXSEED)"),
                ));
            };
            let decision: u64 = decision.parse().map_err(|_| {
                err(start, format!("`{decision}` is not a decision count (a decimal number)"))
            })?;
            let seed_at = start + item.find('@').unwrap_or(0) + 1;
            if seed.is_empty() || seed.len() > 16 || !seed.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(err(seed_at, format!("`{seed}` is not a seed (1 to 16 hex digits)")));
            }
            let seed = u64::from_str_radix(seed, 16)
                .map_err(|e| err(seed_at, format!("`{seed}` is not a seed: {e}")))?;
            splits.push(Split { decision, seed });
            walks.push(walk);
        }
        Ok(Recipe { splits, walks })
    }
}

/// SplitMix64's finaliser: a bijection on `u64` whose every output bit
/// depends on every input bit.
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The seed of child `child_index` of a split at mark `mark_id`, made by a
/// timeline with seed `timeline_seed` at depth `depth` (0 for the root).
///
/// `timeline_seed` is the seed of the timeline that splits: the run's root
/// seed at depth 0, the splitting child's own seed below. (Deriving from the
/// root seed at every depth would give two sibling timelines that split at
/// the same mark the same children.) The inputs are absorbed one at a time,
/// each through [`mix64`], with distinct odd constants so that swapping two
/// inputs does not give the same seed; with the other inputs fixed, distinct
/// values of any one input give distinct seeds.
pub fn child_seed(timeline_seed: u64, mark_id: u64, depth: u32, child_index: u32) -> u64 {
    const K: [u64; 4] = [
        0x9e37_79b9_7f4a_7c15,
        0xc2b2_ae3d_27d4_eb4f,
        0x1656_67b1_9e37_79f9,
        0x27d4_eb2f_1656_67c5,
    ];
    let mut h = mix64(timeline_seed ^ K[0]);
    h = mix64(h.wrapping_add(K[1]) ^ mark_id);
    h = mix64(h.wrapping_add(K[2]) ^ u64::from(depth));
    mix64(h.wrapping_add(K[3]) ^ u64::from(child_index))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn print_and_parse_round_trip() {
        let r = Recipe::root().child(151, 0x1f2e_3d4c_5b6a_7980).child(80, 0x9a0b);
        let text = r.to_string();
        assert_eq!(text, "151@1f2e3d4c5b6a7980->80@0000000000009a0b");
        assert_eq!(text.parse::<Recipe>().unwrap(), r);
        assert_eq!(" 151@1f2e3d4c5b6a7980 -> 80@9a0b ".parse::<Recipe>().unwrap(), r);
        assert_eq!("".parse::<Recipe>().unwrap(), Recipe::root());
        assert_eq!(Recipe::root().to_string(), "");
        let abs = r.absolute().unwrap();
        assert_eq!((abs[0].decision, abs[1].decision), (151, 231));
        assert_eq!(r.depth(), 2);
        let w = r.child_walk(5, 0xff, Some("rff=p1a.2b.3c,n4.5.6"));
        let text = w.to_string();
        assert!(text.ends_with("->5@00000000000000ff:rff=p1a.2b.3c,n4.5.6"), "{text}");
        assert_eq!(text.parse::<Recipe>().unwrap(), w);
        assert_eq!((w.walk(1), w.walk(2)), (None, Some("rff=p1a.2b.3c,n4.5.6")));
        // A nested split of the same walk prints `:=`.
        let n = w.child_walk(3, 0xee, Some("rff=p1a.2b.3c,n4.5.6"));
        assert!(n.to_string().ends_with(":rff=p1a.2b.3c,n4.5.6->3@00000000000000ee:="), "{n}");
        assert_eq!(n.to_string().parse::<Recipe>().unwrap(), n);
    }

    #[test]
    fn bad_recipes_say_what_and_where() {
        let cases: [(&str, usize, usize, &str); 9] = [
            ("1@1f:", 0, 5, "not a walk"),
            ("1@1f:P-2", 0, 5, "not a walk"),
            ("1@1f:=", 0, 5, "the split before has none"),
            ("151@1f->", 1, 8, "empty split"),
            ("151", 0, 0, "no `@`"),
            ("x1@1f", 0, 0, "not a decision count"),
            ("1@1f->2@zz", 1, 8, "not a seed"),
            ("1@", 0, 2, "not a seed"),
            ("1@11112222333344445", 0, 2, "1 to 16 hex digits"),
        ];
        for (text, split, offset, what) in cases {
            let e = text.parse::<Recipe>().unwrap_err();
            assert_eq!((e.split, e.offset), (split, offset), "{text}: {e}");
            assert!(e.to_string().contains(what), "{text}: {e}");
        }
    }

    #[test]
    fn child_seeds_are_distinct_over_every_input() {
        let mut seen = HashSet::new();
        let mut n = 0;
        for root in (0..40u64).chain([u64::MAX, 1 << 63]) {
            for mark in 0..40u64 {
                for depth in 0..6 {
                    for child in 0..12 {
                        seen.insert(child_seed(root, mark, depth, child));
                        n += 1;
                    }
                }
            }
        }
        assert_eq!(seen.len(), n, "every (root, mark, depth, child) has its own seed");
        // moonpool's flaw: depth-1 seeds independent of the mark and the root.
        assert_ne!(child_seed(1, 7, 0, 0), child_seed(1, 8, 0, 0));
        assert_ne!(child_seed(1, 7, 0, 0), child_seed(2, 7, 0, 0));
        // Inputs are not interchangeable.
        assert_ne!(child_seed(3, 5, 0, 0), child_seed(5, 3, 0, 0));
        assert_ne!(child_seed(0, 0, 1, 2), child_seed(0, 0, 2, 1));
    }
}
