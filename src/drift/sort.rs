//! Sorting numeric columns: an LSD radix sort with a reusable scratch buffer.
//!
//! Sorting is most of what the statistical tests cost (KS merges sorted samples, PSI takes its
//! edges from the sorted reference), so it is worth its own few lines. Against the `radsort`
//! crate it replaced (eight passes of 8 bits) it sorts only the top 33 bits of each key, in
//! three passes of 11 bits (fewer when every key shares a digit, as the exponent bits of one
//! feature's values mostly do), then sorts each run of keys that share those bits by comparison. For measured
//! values such runs hold one or two keys, so that last step is a linear scan; when they are long
//! (values equal to 7 significant digits) it costs a comparison sort, never a quadratic one. It
//! also keeps one scratch buffer per thread instead of allocating one per sort: on a virtual
//! machine the page faults of a fresh buffer cost as much as a pass.
//!
//! The order is IEEE 754 `totalOrder` (`f64::total_cmp`): -0.0 before 0.0.

use std::cell::RefCell;

/// Bits per digit: 2^11 counters of 4 bytes per digit stay in L1/L2.
const DIGIT_BITS: u32 = 11;
const BUCKETS: usize = 1 << DIGIT_BITS;
/// Radix passes sort the key's bits from `LOW_BITS` up; runs equal in those are sorted after.
const DIGITS: usize = 3;
const LOW_BITS: u32 = 64 - DIGIT_BITS * DIGITS as u32;
/// Below this a comparison sort is as fast and needs no histograms.
const SMALL: usize = 256;

thread_local! {
    static SCRATCH: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
}

/// An unsigned key whose order is `f64::total_cmp`'s: negative values have every bit flipped,
/// others only the sign bit.
#[inline]
fn key(v: f64) -> u64 {
    let bits = v.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    }
}

#[inline]
fn value(k: u64) -> f64 {
    f64::from_bits(if k >> 63 == 1 { k & !(1 << 63) } else { !k })
}

/// The non-NaN values, sorted ascending (`total_cmp` order).
pub fn sorted_non_missing(values: &[f64]) -> Vec<f64> {
    let mut keys: Vec<u64> = values
        .iter()
        .filter(|v| !v.is_nan())
        .map(|&v| key(v))
        .collect();
    sort_keys(&mut keys);
    // Same size and alignment: this reuses the allocation.
    keys.into_iter().map(value).collect()
}

/// Sorts `keys` ascending.
pub fn sort_keys(keys: &mut [u64]) {
    if keys.len() <= SMALL {
        keys.sort_unstable();
        return;
    }
    let mut counts = vec![[0u32; BUCKETS]; DIGITS];
    for &k in keys.iter() {
        for (d, histogram) in counts.iter_mut().enumerate() {
            histogram[digit(k, d)] += 1;
        }
    }
    radix_passes(keys, &counts);
    sort_runs(keys);
}

/// LSD passes over the digits the keys do not all share.
fn radix_passes(keys: &mut [u64], counts: &[[u32; BUCKETS]]) {
    let n = keys.len() as u32;
    // Digits every key shares leave the order as it is.
    let passes: Vec<usize> = (0..DIGITS).filter(|&d| !counts[d].contains(&n)).collect();
    if passes.is_empty() {
        return;
    }
    SCRATCH.with(|scratch| {
        let mut scratch = scratch.borrow_mut();
        scratch.clear();
        scratch.resize(keys.len(), 0);
        let mut in_keys = true;
        for &d in &passes {
            let mut offsets = [0u32; BUCKETS];
            let mut total = 0;
            for (offset, &count) in offsets.iter_mut().zip(counts[d].iter()) {
                *offset = total;
                total += count;
            }
            let (from, to): (&[u64], &mut [u64]) = if in_keys {
                (keys, &mut scratch[..])
            } else {
                (&scratch[..], keys)
            };
            for &k in from {
                let slot = &mut offsets[digit(k, d)];
                to[*slot as usize] = k;
                *slot += 1;
            }
            in_keys = !in_keys;
        }
        if !in_keys {
            keys.copy_from_slice(&scratch);
        }
    });
}

/// Sorts each run of keys that are equal above `LOW_BITS` (the radix passes left them in input
/// order).
fn sort_runs(keys: &mut [u64]) {
    let mut start = 0;
    while start < keys.len() {
        let high = keys[start] >> LOW_BITS;
        let mut end = start + 1;
        while end < keys.len() && keys[end] >> LOW_BITS == high {
            end += 1;
        }
        if end - start > 1 {
            keys[start..end].sort_unstable();
        }
        start = end;
    }
}

#[inline]
fn digit(k: u64, d: usize) -> usize {
    ((k >> (LOW_BITS + d as u32 * DIGIT_BITS)) as usize) & (BUCKETS - 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn reference_sort(values: &[f64]) -> Vec<u64> {
        let mut v: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
        v.sort_by(f64::total_cmp);
        v.into_iter().map(f64::to_bits).collect()
    }

    fn ours(values: &[f64]) -> Vec<u64> {
        sorted_non_missing(values)
            .into_iter()
            .map(f64::to_bits)
            .collect()
    }

    #[test]
    fn keys_round_trip_and_order_like_total_cmp() {
        let specials = [
            f64::NEG_INFINITY,
            -f64::MAX,
            -1.0,
            -f64::MIN_POSITIVE,
            -5e-324,
            -0.0,
            0.0,
            5e-324,
            f64::MIN_POSITIVE,
            1.0,
            f64::MAX,
            f64::INFINITY,
        ];
        for pair in specials.windows(2) {
            assert!(key(pair[0]) < key(pair[1]), "{pair:?}");
        }
        for v in specials {
            assert_eq!(value(key(v)).to_bits(), v.to_bits());
        }
    }

    #[test]
    fn large_inputs_with_shared_and_varying_digits() {
        // Values whose keys share their top digits (one exponent), small integers with many
        // ties, both signs, and NaN to drop: every pass-skipping case.
        let mut x = 0x9E37_79B9_7F4A_7C15_u64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let narrow: Vec<f64> = (0..50_000)
            .map(|_| 1.0 + (next() >> 12) as f64 * 1e-20)
            .collect();
        let ties: Vec<f64> = (0..50_000).map(|_| (next() % 12) as f64).collect();
        let mixed: Vec<f64> = (0..50_000)
            .map(|i| match i % 7 {
                0 => f64::NAN,
                1 => -0.0,
                2 => 0.0,
                _ => f64::from_bits(next()),
            })
            .collect();
        let same = vec![2.5; 10_000];
        // Keys equal in their top 33 bits: one long run for the comparison sort.
        let close: Vec<f64> = (0..20_000)
            .map(|_| 1.0 + (next() % 1000) as f64 * 1e-12)
            .collect();
        for values in [narrow, ties, mixed, same, close] {
            assert_eq!(ours(&values), reference_sort(&values));
        }
    }

    proptest! {
        #[test]
        fn sorts_like_total_cmp(values in prop::collection::vec(any::<f64>(), 0..3000)) {
            prop_assert_eq!(ours(&values), reference_sort(&values));
        }

        #[test]
        fn sorts_normal_data_like_total_cmp(
            values in prop::collection::vec(-1e6f64..1e6, 257..5000)
        ) {
            prop_assert_eq!(ours(&values), reference_sort(&values));
        }
    }
}
