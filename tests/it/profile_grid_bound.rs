//! The error bounds of statistics computed on a profile's grid hold: for random samples, KS on
//! the grid is at most the rows' KS and at least it minus the stated bound; Wasserstein on the
//! grid is within its stated bound of the rows' distance. No Python: the rows' statistics are
//! the library's own (checked against scipy elsewhere).

use ml_monitor::drift::ks::ks_2samp_sorted;
use ml_monitor::drift::psi;
use ml_monitor::profile::{cell_summaries, numeric_grid};
use ml_monitor::stats::wasserstein_sorted;
use ml_monitor::stats::{ks_binned, wasserstein_binned};
use proptest::prelude::*;

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_unstable_by(f64::total_cmp);
    v
}

/// Samples with ties (rounded values) and shifts, so that grid cells hold many values.
fn sample(len: std::ops::Range<usize>) -> impl Strategy<Value = Vec<f64>> {
    (prop::collection::vec(-50.0f64..50.0, len), 0u32..3).prop_map(|(v, digits)| {
        let scale = 10f64.powi(digits as i32);
        v.into_iter().map(|x| (x * scale).round() / scale).collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn grid_ks_is_within_its_bound(
        reference in sample(1..400),
        current in sample(1..400),
        shift in -20.0f64..20.0,
        bins in 10usize..200,
    ) {
        let reference = sorted(reference);
        let current = sorted(current.into_iter().map(|x| x + shift).collect());
        let psi_edges = psi::quantile_edges(&reference, 10);
        let grid = numeric_grid(&reference, bins, &psi_edges);
        let r = psi::bin_counts_sorted(&reference, &grid);
        let c = psi::bin_counts_sorted(&current, &grid);
        let binned = ks_binned(&r, &c).expect("both sides have values");
        let exact = ks_2samp_sorted(&reference, &current).expect("runs").statistic;
        prop_assert!(binned.statistic <= exact + 1e-12, "grid {} above rows {}", binned.statistic, exact);
        prop_assert!(exact <= binned.statistic + binned.error_bound + 1e-12,
            "rows {} above grid {} + bound {}", exact, binned.statistic, binned.error_bound);
        // The bound is at most the largest share of either sample in one cell.
        let n1 = reference.len() as f64;
        let n2 = current.len() as f64;
        let largest = r.iter().map(|&k| k as f64 / n1).chain(c.iter().map(|&k| k as f64 / n2)).fold(0.0, f64::max);
        prop_assert!(binned.error_bound <= largest + 1e-12);

        let w = wasserstein_binned(&grid, &cell_summaries(&reference, &grid), &cell_summaries(&current, &grid))
            .expect("runs");
        let w_exact = wasserstein_sorted(&reference, &current).expect("runs");
        prop_assert!((w.statistic - w_exact).abs() <= w.error_bound + 1e-9 * w_exact.max(1.0),
            "W grid {} rows {} bound {}", w.statistic, w_exact, w.error_bound);
    }
}

#[test]
fn a_fine_grid_makes_the_ks_bound_small() {
    let reference: Vec<f64> = (0..20_000)
        .map(|i| (f64::from(i) * 0.7919).sin() * 3.0)
        .collect();
    let reference = sorted(reference);
    let current: Vec<f64> = sorted(reference.iter().map(|x| x * 1.1 + 0.05).collect());
    let grid = numeric_grid(&reference, 1000, &psi::quantile_edges(&reference, 10));
    let b = ks_binned(
        &psi::bin_counts_sorted(&reference, &grid),
        &psi::bin_counts_sorted(&current, &grid),
    )
    .expect("runs");
    assert!(b.error_bound < 0.01, "bound {}", b.error_bound);
}
