//! The reference grid a profile counts on: per numeric feature (and the prediction), the edges
//! of a fine grid of the reference's quantiles, with the PSI edges and the reference's range
//! on it, so that PSI bins and out-of-range counts are sums of grid cells.
//!
//! Edges: the quantiles at `k / grid_bins` (numpy's linear interpolation, as PSI's), every PSI
//! edge, the reference's minimum, and the double just above its maximum (so the last cell
//! holds exactly the values above the maximum); sorted, duplicates and non-finite values
//! dropped. A value equal to an edge lies in the cell to its right, as in PSI.

use crate::drift::psi;
use crate::stats::binned::CellSummary;
use crate::stats::quantile::linear_quantile;

/// The inner edges of a feature's grid from its sorted, non-missing reference values.
pub fn numeric_grid(sorted: &[f64], grid_bins: usize, psi_edges: &[f64]) -> Vec<f64> {
    let (Some(&first), Some(&last)) = (sorted.first(), sorted.last()) else {
        return psi_edges.to_vec();
    };
    let mut edges: Vec<f64> = (1..grid_bins.max(1))
        .map(|k| linear_quantile(sorted, k as f64 / grid_bins as f64))
        .chain(psi_edges.iter().copied())
        .chain([first, last.next_up()])
        .filter(|e| e.is_finite())
        .collect();
    edges.sort_unstable_by(f64::total_cmp);
    edges.dedup();
    edges
}

/// The cell of `v` (the number of edges at or below it).
#[cfg(test)]
fn cell_of(edges: &[f64], v: f64) -> usize {
    edges.partition_point(|&e| e <= v)
}

/// Count, smallest and largest value per cell of sorted, non-missing values.
pub fn cell_summaries(sorted: &[f64], edges: &[f64]) -> Vec<CellSummary> {
    let counts = psi::bin_counts_sorted(sorted, edges);
    let mut start = 0usize;
    counts
        .iter()
        .map(|&count| {
            let end = start + count as usize;
            let cell = CellSummary {
                count,
                min: if count > 0 { sorted[start] } else { f64::NAN },
                max: if count > 0 { sorted[end - 1] } else { f64::NAN },
            };
            start = end;
            cell
        })
        .collect()
}

/// Grid cells merged into PSI bins: `counts` per grid cell into counts per PSI bin, where every
/// PSI edge is a grid edge.
pub(crate) fn merge_into(grid_edges: &[f64], counts: &[u64], coarse_edges: &[f64]) -> Vec<u64> {
    let mut merged = vec![0u64; coarse_edges.len() + 1];
    for (i, &count) in counts.iter().enumerate() {
        // Cell i starts at grid edge i-1 (or -inf): its coarse bin is that of its start.
        let bin = match i.checked_sub(1).and_then(|j| grid_edges.get(j)) {
            Some(&start) => coarse_edges.partition_point(|&e| e <= start),
            None => 0,
        };
        merged[bin] += count;
    }
    merged
}

/// FNV-1a, 64 bits: a fingerprint of the reference the SQL was made for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fingerprint(u64);

impl Default for Fingerprint {
    fn default() -> Self {
        Fingerprint(0xcbf2_9ce4_8422_2325)
    }
}

impl Fingerprint {
    pub fn bytes(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }

    pub fn text(&mut self, text: &str) {
        self.bytes(&(text.len() as u64).to_le_bytes());
        self.bytes(text.as_bytes());
    }

    pub fn numbers(&mut self, values: &[f64]) {
        self.bytes(&(values.len() as u64).to_le_bytes());
        for v in values {
            self.bytes(&v.to_bits().to_le_bytes());
        }
    }

    pub fn hex(&self) -> String {
        format!("{:016x}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_holds_psi_edges_range_and_merges_back() {
        let sorted: Vec<f64> = (0..1000).map(|i| f64::from(i) * 0.37).collect();
        let psi_edges = psi::quantile_edges(&sorted, 10);
        let grid = numeric_grid(&sorted, 100, &psi_edges);
        assert!(psi_edges.iter().all(|e| grid.contains(e)));
        assert_eq!(grid.first(), Some(&0.0));
        assert_eq!(grid.last(), Some(&sorted[999].next_up()));
        let current: Vec<f64> = (0..500).map(|i| f64::from(i) * 0.9 - 20.0).collect();
        let cells = psi::bin_counts(&current, &grid);
        assert_eq!(
            merge_into(&grid, &cells, &psi_edges),
            psi::bin_counts(&current, &psi_edges)
        );
        assert_eq!(cell_of(&grid, -1.0), 0);
        assert_eq!(cell_of(&grid, 1e9), grid.len());
    }
}
