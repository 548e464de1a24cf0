//! A small pseudo-random number generator of our own, with no dependency.
//!
//! Two well-known generators: SplitMix64 (Steele, Lea, Flood, *Fast
//! Splittable Pseudorandom Number Generators*, OOPSLA 2014) turns a seed
//! into well-mixed words, and seeds xoshiro256** (Blackman, Vigna,
//! *Scrambled Linear Pseudorandom Number Generators*, 2018), which makes
//! the streams. Neither is cryptographic; both are fast and reproducible on
//! every platform, which is all the engine needs: the random and PCT
//! strategies draw their decisions from them, and systematic strategies
//! take `checker::rand` values from [`derive()`].

/// The default seed of a run when none is configured: fixed, so that runs
/// reproduce. The summary prints the seed of every run that used one.
pub const DEFAULT_SEED: u64 = 0x5eed_c0de_2024_0001;

/// SplitMix64's output function: a bijection of `u64` that mixes every bit
/// into every other.
pub fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A word derived from `seed` and the `parts` that name one use of it:
/// distinct parts give independent-looking words.
pub fn derive(seed: u64, parts: &[u64]) -> u64 {
    let mut h = mix(seed ^ 0x9e37_79b9_7f4a_7c15);
    for &p in parts {
        h = mix(h ^ mix(p.wrapping_add(0x9e37_79b9_7f4a_7c15)));
    }
    h
}

/// SplitMix64: a counter passed through [`mix`]. Used to seed [`Rng`].
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// The next word.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.0)
    }
}

/// xoshiro256**: the stream of one execution, or of one thread-local
/// source outside models.
#[derive(Clone, Debug)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// A stream seeded from `seed` through SplitMix64 (never all zero).
    pub fn new(seed: u64) -> Self {
        let mut sm = SplitMix64::new(seed);
        Rng { s: [sm.next_u64(), sm.next_u64(), sm.next_u64(), sm.next_u64()] }
    }

    /// The next word.
    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// A uniform value in `0..=max`, without bias (multiply-shift with
    /// rejection, after Lemire).
    pub fn up_to(&mut self, max: u64) -> u64 {
        if max == u64::MAX {
            return self.next_u64();
        }
        let n = max + 1;
        let threshold = n.wrapping_neg() % n;
        loop {
            let m = u128::from(self.next_u64()) * u128::from(n);
            if (m as u64) >= threshold {
                return (m >> 64) as u64;
            }
        }
    }

    /// A uniform value in `0..n`; `n` must be at least 1.
    pub fn below(&mut self, n: u64) -> u64 {
        debug_assert!(n >= 1);
        self.up_to(n - 1)
    }

    /// A uniform index into a slice of `len` elements (at least 1).
    pub fn index(&mut self, len: usize) -> usize {
        self.below(len as u64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_reproduce_and_differ_by_seed() {
        let a: Vec<u64> = (0..8).scan(Rng::new(1), |r, _| Some(r.next_u64())).collect();
        let b: Vec<u64> = (0..8).scan(Rng::new(1), |r, _| Some(r.next_u64())).collect();
        let c: Vec<u64> = (0..8).scan(Rng::new(2), |r, _| Some(r.next_u64())).collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(derive(1, &[2, 3]), derive(1, &[3, 2]));
    }

    #[test]
    fn bounded_values_stay_in_range_and_cover_it() {
        let mut r = Rng::new(7);
        let mut seen = [0u32; 5];
        for _ in 0..1000 {
            let v = r.up_to(4);
            seen[v as usize] += 1;
        }
        assert!(seen.iter().all(|&n| n > 150), "roughly uniform: {seen:?}");
        assert_eq!(r.below(1), 0);
        let _ = r.up_to(u64::MAX);
    }
}
