//! Sorting numeric columns: an LSD radix sort with a reusable scratch buffer.
//!
//! Sorting is most of what the statistical tests cost (KS merges sorted samples, PSI takes its
//! edges from the sorted reference), so it is worth its own few lines. Against the `radsort`
//! crate it replaced (eight passes of 8 bits) it sorts only the top 33 bits of each key, in
//! three passes of 11 bits (fewer when every key shares a digit, as the exponent bits of one
//! feature's values mostly do), then sorts each run of keys that share those bits by comparison.
//! For measured values such runs hold one or two keys, so that last step is a linear scan; when
//! they are long (values equal to 7 significant digits) it costs a comparison sort, never a
//! quadratic one. It also keeps one scratch buffer per thread instead of allocating one per sort:
//! on a virtual machine the page faults of a fresh buffer cost as much as a pass. For the same
//! reason a column nobody needs in row order is sorted in its own memory ([`sort_in_place`]),
//! and sorted copies go into memory already used ([`SortBuffers`]).
//!
//! The order is IEEE 754 `totalOrder` (`f64::total_cmp`): -0.0 before 0.0.

use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

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
pub(crate) fn sorted_non_missing(values: &[f64]) -> Vec<f64> {
    sorted_into(values, Vec::with_capacity(values.len()))
}

/// [`sorted_non_missing`] of values the caller gives up, sorted in their own memory.
pub(crate) fn sort_non_missing(mut values: Vec<f64>) -> Vec<f64> {
    let valid = sort_in_place(&mut values);
    values.truncate(valid);
    values
}

/// Sorts `values` in their own memory, NaN last: the non-NaN values ascending (`total_cmp`
/// order), then as many NaN as there were (with one bit pattern). The column keeps its values,
/// only their order changes; returns how many are not NaN.
pub(crate) fn sort_in_place(values: &mut Vec<f64>) -> usize {
    let mut nan = 0;
    // Every NaN takes the largest key, which sorts after every number's; same size and
    // alignment, so both conversions reuse the allocation.
    let mut keys: Vec<u64> = std::mem::take(values)
        .into_iter()
        .map(|v| {
            if v.is_nan() {
                nan += 1;
                u64::MAX
            } else {
                key(v)
            }
        })
        .collect();
    sort_keys(&mut keys);
    *values = keys.into_iter().map(value).collect();
    values.len() - nan
}

/// [`sorted_non_missing`] written into `keys`'s memory (its contents are discarded).
fn sorted_into(values: &[f64], mut keys: Vec<u64>) -> Vec<f64> {
    keys.clear();
    // Sized up front: collecting through `filter` would grow the vector by doubling, copying
    // it a dozen times and leaving a quarter of it unused.
    keys.reserve(values.len());
    keys.extend(values.iter().filter(|v| !v.is_nan()).map(|&v| key(v)));
    sort_keys(&mut keys);
    // Same size and alignment: this reuses the allocation.
    keys.into_iter().map(value).collect()
}

/// Memory for sorted copies, handed back when a window is done with so the next one sorts
/// into it.
///
/// Every numeric feature of every window gets a sorted copy (800 KB for 100,000 rows). Fresh
/// memory is faulted in a page at a time, which on a virtual machine costs about as much as
/// the sort; memory already used is not. So the monitor keeps the buffers of one window's
/// sorted copies for the next, and takes a window it no longer needs (the reference, once
/// fitted) as buffers too. At most `limit` buffers are kept: one window's worth.
#[derive(Debug, Default)]
pub(crate) struct SortBuffers {
    free: Mutex<Vec<Vec<u64>>>,
    limit: AtomicUsize,
}

impl SortBuffers {
    /// Keeps at most `limit` buffers (extra ones are freed, smallest first).
    #[cfg(test)]
    pub fn new(limit: usize) -> Self {
        SortBuffers {
            free: Mutex::new(Vec::new()),
            limit: AtomicUsize::new(limit),
        }
    }

    /// Changes how many buffers are kept, freeing the smallest beyond it.
    pub(crate) fn set_limit(&self, limit: usize) {
        self.limit.store(limit, Ordering::Relaxed);
        if let Ok(mut free) = self.free.lock() {
            free.sort_unstable_by_key(|b| std::cmp::Reverse(b.capacity()));
            free.truncate(limit);
        }
    }

    /// Buffers held now.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.free.lock().map_or(0, |free| free.len())
    }

    /// Takes `values`' memory for later sorts (the values themselves are discarded).
    pub fn give(&self, values: Vec<f64>) {
        // Same size and alignment: this reuses the allocation.
        let buffer: Vec<u64> = values.into_iter().map(f64::to_bits).collect();
        self.give_keys(buffer);
    }

    fn give_keys(&self, buffer: Vec<u64>) {
        let limit = self.limit.load(Ordering::Relaxed);
        let Ok(mut free) = self.free.lock() else {
            return;
        };
        if free.len() < limit {
            free.push(buffer);
        } else if let Some(smallest) = free.iter_mut().min_by_key(|b| b.capacity()) {
            if smallest.capacity() < buffer.capacity() {
                *smallest = buffer;
            }
        }
    }

    /// The smallest held buffer with room for `n` keys, or a new one.
    fn take(&self, n: usize) -> Vec<u64> {
        if let Ok(mut free) = self.free.lock() {
            let fitting = free
                .iter()
                .enumerate()
                .filter(|(_, b)| b.capacity() >= n)
                .min_by_key(|(_, b)| b.capacity())
                .map(|(i, _)| i);
            if let Some(i) = fitting {
                return free.swap_remove(i);
            }
        }
        Vec::with_capacity(n)
    }

    /// [`sorted_non_missing`] into a held buffer when one is large enough.
    pub(crate) fn sorted_non_missing(&self, values: &[f64]) -> Vec<f64> {
        sorted_into(values, self.take(values.len()))
    }
}

/// Sorts `keys` ascending.
pub(crate) fn sort_keys(keys: &mut [u64]) {
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
        let mut held = scratch.borrow_mut();
        // Grown, never cleared: every slot used is written by the first pass before it is read.
        if held.len() < keys.len() {
            held.resize(keys.len(), 0);
        }
        let scratch = &mut held[..keys.len()];
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
            keys.copy_from_slice(scratch);
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
            let mut in_place = values.clone();
            let valid = sort_in_place(&mut in_place);
            assert_eq!(bits(in_place[..valid].to_vec()), reference_sort(&values));
            assert_eq!(in_place.len(), values.len());
        }
    }

    fn bits(values: Vec<f64>) -> Vec<u64> {
        values.into_iter().map(f64::to_bits).collect()
    }

    #[test]
    fn buffers_are_reused_smallest_fitting_first_and_bounded() {
        let buffers = SortBuffers::new(2);
        let big = vec![0.0; 1000];
        let small = vec![0.0; 100];
        let (big_at, small_at) = (big.as_ptr() as usize, small.as_ptr() as usize);
        buffers.give(big);
        buffers.give(small);
        assert_eq!(buffers.len(), 2);
        // 50 values fit both: the smaller is taken.
        let values: Vec<f64> = (0..50).rev().map(f64::from).collect();
        let sorted = buffers.sorted_non_missing(&values);
        assert_eq!(sorted.as_ptr() as usize, small_at);
        assert_eq!(bits(sorted.clone()), reference_sort(&values));
        // 500 fit only the big one; 5000 fit neither and get new memory.
        let values: Vec<f64> = (0..500).map(|i| f64::from((i * 7919) % 500)).collect();
        let sorted_big = buffers.sorted_non_missing(&values);
        assert_eq!(sorted_big.as_ptr() as usize, big_at);
        assert_eq!(bits(sorted_big.clone()), reference_sort(&values));
        assert_eq!(buffers.len(), 0);
        let huge = buffers.sorted_non_missing(&vec![1.0; 5000]);
        assert_eq!(huge.len(), 5000);
        // Full at two: a third, larger buffer replaces the smallest; a smaller one is dropped.
        buffers.give(sorted);
        buffers.give(sorted_big);
        buffers.give(huge);
        buffers.give(vec![0.0; 10]);
        assert_eq!(buffers.len(), 2);
        let kept: Vec<usize> = (0..2)
            .map(|_| buffers.take(0).capacity())
            .collect::<Vec<_>>();
        assert!(kept.iter().all(|&c| c >= 1000), "{kept:?}");
        // A lower limit frees the smallest.
        let buffers = SortBuffers::new(3);
        for n in [10, 30, 20] {
            buffers.give(vec![0.0; n]);
        }
        buffers.set_limit(1);
        assert_eq!(buffers.len(), 1);
        assert!(buffers.take(0).capacity() >= 30);
    }

    proptest! {
        #[test]
        fn sorts_like_total_cmp(values in prop::collection::vec(any::<f64>(), 0..3000)) {
            prop_assert_eq!(ours(&values), reference_sort(&values));
        }

        #[test]
        fn sorting_into_used_buffers_changes_nothing(
            first in prop::collection::vec(any::<f64>(), 0..2000),
            second in prop::collection::vec(-1e6f64..1e6, 0..2000),
        ) {
            // The second sort writes over the first's keys in the same memory.
            let buffers = SortBuffers::new(1);
            let sorted = buffers.sorted_non_missing(&first);
            prop_assert_eq!(bits(sorted.clone()), reference_sort(&first));
            buffers.give(sorted);
            prop_assert_eq!(bits(buffers.sorted_non_missing(&second)), reference_sort(&second));
        }

        #[test]
        fn sorting_owned_values_like_total_cmp(values in prop::collection::vec(any::<f64>(), 0..3000)) {
            prop_assert_eq!(bits(sort_non_missing(values.clone())), reference_sort(&values));
        }

        #[test]
        fn sorting_in_place_keeps_the_values_and_puts_nan_last(
            values in prop::collection::vec(any::<f64>(), 0..3000)
        ) {
            let mut sorted = values.clone();
            let address = sorted.as_ptr() as usize;
            let valid = sort_in_place(&mut sorted);
            prop_assert_eq!(sorted.as_ptr() as usize, address);
            prop_assert_eq!(sorted.len(), values.len());
            prop_assert_eq!(valid, values.iter().filter(|v| !v.is_nan()).count());
            prop_assert_eq!(bits(sorted[..valid].to_vec()), reference_sort(&values));
            prop_assert!(sorted[valid..].iter().all(|v| v.is_nan()));
        }

        #[test]
        fn sorts_normal_data_like_total_cmp(
            values in prop::collection::vec(-1e6f64..1e6, 257..5000)
        ) {
            prop_assert_eq!(ours(&values), reference_sort(&values));
        }
    }
}
