//! A seeded PRNG (SplitMix64): the same demo on every run, no wall-clock randomness.

pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }
}

impl Rng {
    /// The generator of one item (`area` and `key` name its line, `i` the item): each item draws
    /// from its own stream, so what one item draws never depends on what a run skipped before it.
    pub fn item(area: &str, key: &str, i: usize) -> Rng {
        // FNV-1a over the names, then the index.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in area.bytes().chain([0]).chain(key.bytes()) {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        Rng::new(h ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }
}
