//! Two-sample distances from counts on a shared grid of cells, with a proven bound on how far
//! they can be from the distance of the rows themselves.
//!
//! A profile computed where the data lives (Spark, DuckDB) keeps, per feature, how many values
//! fall in each cell of a fine grid of reference quantiles, and the smallest and largest value
//! of each cell. The empirical CDFs are then known exactly at the cell edges and nowhere in
//! between; these functions return what the edges give and how much the rows could differ.
//!
//! Cells: with inner edges `e_1 < … < e_m`, cell `i` is `[e_i, e_{i+1})` (`e_0 = −∞`,
//! `e_{m+1} = +∞`): a value equal to an edge lies in the cell to its right.
//!
//! **KS.** Write `R(x)`, `C(x)` for the reference and current ECDFs (right-continuous, `P(X ≤ x)`)
//! and `R(e−)` for the share strictly below `e`. `D_grid = max_e |R(e−) − C(e−)|` over the edges.
//! Each `R(e−) − C(e−)` equals `R(v) − C(v)` at the largest pooled value `v < e` (or 0 when
//! there is none), so `D_grid ≤ D`. Inside cell `i` both ECDFs are non-decreasing between
//! their values at the cell's ends, so for every `x` in it
//! `R(x) − C(x) ≤ R(e_{i+1}−) − C(e_i−)` and `C(x) − R(x) ≤ C(e_{i+1}−) − R(e_i−)`.
//! Hence `D ≤ U = max_i max(R(e_{i+1}−) − C(e_i−), C(e_{i+1}−) − R(e_i−))`, and the bound
//! reported is `U − D_grid ≤ max_i max(r_i, c_i)` (the largest share of either sample in one
//! cell): `D_grid ≤ D ≤ D_grid + bound`.
//!
//! **Wasserstein-1** `W = ∫ |R(x) − C(x)| dx`. Inside a cell the difference is constant left of
//! the cell's smallest value and right of its largest (no value of either sample lies there),
//! and between them lies in `[R(e_i−) − C(e_{i+1}−), R(e_{i+1}−) − C(e_i−)]`. The estimate takes
//! the middle of the possible `|R − C|` over that span, the bound half its width times the span
//! summed over cells: `|W_grid − W| ≤ bound`.

/// Values of one sample in one cell.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CellSummary {
    pub count: u64,
    /// Smallest value in the cell (meaningless when `count` is 0).
    pub min: f64,
    /// Largest value in the cell (meaningless when `count` is 0).
    pub max: f64,
}

/// A statistic computed on the grid and the largest difference from the rows' statistic.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Binned {
    pub statistic: f64,
    pub error_bound: f64,
}

/// KS statistic at the grid edges and its bound (see the module docs). `reference[i]` and
/// `current[i]` are the counts of cell `i`; the slices have the same length. `None` when a side
/// is empty.
pub fn ks_binned(reference: &[u64], current: &[u64]) -> Option<Binned> {
    let n1: u64 = reference.iter().sum();
    let n2: u64 = current.iter().sum();
    if n1 == 0 || n2 == 0 || reference.len() != current.len() {
        return None;
    }
    let (n1f, n2f) = (n1 as f64, n2 as f64);
    // `i / n1 − j / n2`, as the row-wise statistic computes it, so equal counts give equal floats.
    let gap = |i: u64, j: u64| i as f64 / n1f - j as f64 / n2f;
    let (mut r, mut c) = (0u64, 0u64);
    let mut d_grid = 0.0f64;
    let mut upper = 0.0f64;
    for (&rc, &cc) in reference.iter().zip(current) {
        let (r_hi, c_hi) = (r + rc, c + cc);
        upper = upper.max(gap(r_hi, c)).max(-gap(r, c_hi));
        d_grid = d_grid.max(gap(r_hi, c_hi).abs());
        (r, c) = (r_hi, c_hi);
    }
    Some(Binned {
        statistic: d_grid,
        error_bound: (upper.min(1.0) - d_grid).max(0.0),
    })
}

/// Wasserstein-1 distance on the grid and its bound (see the module docs). `edges` are the
/// inner edges; `reference` and `current` have `edges.len() + 1` cells. `None` when a side is
/// empty.
pub fn wasserstein_binned(
    edges: &[f64],
    reference: &[CellSummary],
    current: &[CellSummary],
) -> Option<Binned> {
    let n1: u64 = reference.iter().map(|c| c.count).sum();
    let n2: u64 = current.iter().map(|c| c.count).sum();
    if n1 == 0 || n2 == 0 || reference.len() != edges.len() + 1 || current.len() != reference.len()
    {
        return None;
    }
    let (n1f, n2f) = (n1 as f64, n2 as f64);
    let gap = |i: u64, j: u64| i as f64 / n1f - j as f64 / n2f;
    let (mut r, mut c) = (0u64, 0u64);
    let (mut estimate, mut bound) = (0.0f64, 0.0f64);
    for (i, (rs, cs)) in reference.iter().zip(current).enumerate() {
        let left = if i == 0 {
            f64::NEG_INFINITY
        } else {
            edges[i - 1]
        };
        let right = edges.get(i).copied().unwrap_or(f64::INFINITY);
        let (r_hi, c_hi) = (r + rs.count, c + cs.count);
        let g_lo = gap(r, c);
        let g_hi = gap(r_hi, c_hi);
        let sides = [rs, cs].into_iter().filter(|s| s.count > 0);
        let lo = sides.clone().map(|s| s.min).fold(f64::INFINITY, f64::min);
        let hi = sides.map(|s| s.max).fold(f64::NEG_INFINITY, f64::max);
        if lo > hi {
            // No value in the cell: the difference is constant across it.
            if g_lo != 0.0 {
                estimate += g_lo.abs() * (right - left);
            }
        } else {
            if g_lo != 0.0 {
                estimate += g_lo.abs() * (lo - left);
            }
            if g_hi != 0.0 {
                estimate += g_hi.abs() * (right - hi);
            }
            let (a, b) = (gap(r, c_hi), gap(r_hi, c));
            let largest = a.abs().max(b.abs());
            let smallest = if a <= 0.0 && b >= 0.0 {
                0.0
            } else {
                a.abs().min(b.abs())
            };
            let span = hi - lo;
            estimate += span * (largest + smallest) / 2.0;
            bound += span * (largest - smallest) / 2.0;
        }
        (r, c) = (r_hi, c_hi);
    }
    Some(Binned {
        statistic: estimate,
        error_bound: bound,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_counts_give_zero() {
        let b = ks_binned(&[3, 4, 5], &[3, 4, 5]).expect("runs");
        assert_eq!(b.statistic, 0.0);
        assert!(b.error_bound <= 5.0 / 12.0 + 1e-15);
        assert!(ks_binned(&[0, 0], &[1, 2]).is_none());
    }

    #[test]
    fn disjoint_cells_are_exact() {
        // All reference below the edge, all current above it: D = 1, nothing to bound.
        let b = ks_binned(&[10, 0], &[0, 7]).expect("runs");
        assert_eq!(b.statistic, 1.0);
        assert_eq!(b.error_bound, 0.0);
    }

    #[test]
    fn wasserstein_of_point_masses_is_exact() {
        // Reference all at 0, current all at 2, one edge at 1: W = 2.
        let r = [
            CellSummary {
                count: 5,
                min: 0.0,
                max: 0.0,
            },
            CellSummary {
                count: 0,
                min: 0.0,
                max: 0.0,
            },
        ];
        let c = [
            CellSummary {
                count: 0,
                min: 0.0,
                max: 0.0,
            },
            CellSummary {
                count: 4,
                min: 2.0,
                max: 2.0,
            },
        ];
        let w = wasserstein_binned(&[1.0], &r, &c).expect("runs");
        assert_eq!(w.statistic, 2.0);
        assert_eq!(w.error_bound, 0.0);
    }
}
