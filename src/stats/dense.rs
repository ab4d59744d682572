//! The dense products of the PCA — the scatter matrix of the fitted rows, every row's scores and
//! residuals — and the rotations of its eigen solver, computed in tiles that keep partial sums
//! in registers and reuse every value loaded.
//!
//! Each element is still the same sum of the same products in the same order as the plain
//! loop it replaces (the tests compare bit for bit): only which elements are computed side by
//! side changes. On x86-64 the kernels are also compiled for AVX2 and chosen at run time (the
//! baseline has 2-wide SSE2 only): wider lanes, the same operations. No fused multiply-add,
//! which rounds once where a multiply then an add round twice, and would change every figure.

// Matrix code reads best in index notation.
#![allow(clippy::needless_range_loop)]

/// Rows side by side in a tile.
const TR: usize = 4;

/// The instructions a kernel is compiled for: on x86-64, AVX-512 (tiles of 16 columns) or
/// AVX2 (8) when the processor has them, else the baseline (8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lanes {
    Baseline,
    #[cfg(target_arch = "x86_64")]
    Avx2,
    #[cfg(target_arch = "x86_64")]
    Avx512,
}

impl Lanes {
    /// The widest this processor runs.
    pub(crate) fn widest() -> Lanes {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                return Lanes::Avx512;
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                return Lanes::Avx2;
            }
        }
        Lanes::Baseline
    }

    /// Every kind this processor runs (the tests compare them all).
    #[cfg(test)]
    pub(crate) fn available() -> Vec<Lanes> {
        let mut all = vec![Lanes::Baseline];
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") {
                all.push(Lanes::Avx2);
            }
            if std::arch::is_x86_feature_detected!("avx512f") {
                all.push(Lanes::Avx512);
            }
        }
        all
    }
}

/// `dispatched(args)` runs `plain::<16>` compiled for AVX-512 or `plain::<8>` for AVX2 when
/// the processor has them, else `plain::<8>`; `on(lanes, args)` runs the one named.
macro_rules! dispatch {
    ($plain:ident, [$w512:expr, $w2:expr, $w0:expr], ($($arg:ident: $ty:ty),*)) => {
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx512f")]
        fn avx512($($arg: $ty),*) {
            $plain::<{ $w512 }>($($arg),*)
        }

        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2")]
        fn avx2($($arg: $ty),*) {
            $plain::<{ $w2 }>($($arg),*)
        }

        pub(crate) fn dispatched($($arg: $ty),*) {
            on(super::Lanes::widest(), $($arg),*)
        }

        pub(crate) fn on(lanes: super::Lanes, $($arg: $ty),*) {
            match lanes {
                super::Lanes::Baseline => $plain::<{ $w0 }>($($arg),*),
                // SAFETY: `Lanes::widest` (or the tests' `Lanes::available`) chose these only
                // where the processor has them, the functions' one requirement.
                #[cfg(target_arch = "x86_64")]
                super::Lanes::Avx2 => unsafe { avx2($($arg),*) },
                #[cfg(target_arch = "x86_64")]
                super::Lanes::Avx512 => unsafe { avx512($($arg),*) },
            }
        }
    };
}

/// `out[r * m + i] = zero + Σ_j rows[r * d + j] · vectors[j * m + i]`, summed in `j` order
/// (`rows`: whole rows of `d` values; `out`: `m` scores per row).
pub(crate) mod scores {
    use super::TR;

    dispatch!(plain, [16, 8, 8], (rows: &[f64], d: usize, vectors: &[f64], m: usize, zero: f64, out: &mut [f64]));

    #[inline(always)]
    fn plain<const TC: usize>(
        rows: &[f64],
        d: usize,
        vectors: &[f64],
        m: usize,
        zero: f64,
        out: &mut [f64],
    ) {
        let n = out.len() / m.max(1);
        let mut r0 = 0;
        while r0 < n {
            let tr = (n - r0).min(TR);
            let mut i0 = 0;
            while i0 < m {
                let tc = (m - i0).min(TC);
                if tr == TR && tc == TC {
                    tile::<TR, TC>(rows, d, vectors, m, zero, out, r0, i0);
                } else if tr == TR {
                    // The last columns: still the rows' sums side by side.
                    for i in i0..i0 + tc {
                        tile::<TR, 1>(rows, d, vectors, m, zero, out, r0, i);
                    }
                } else {
                    for r in r0..r0 + tr {
                        for i in i0..i0 + tc {
                            tile::<1, 1>(rows, d, vectors, m, zero, out, r, i);
                        }
                    }
                }
                i0 += tc;
            }
            r0 += tr;
        }
    }

    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn tile<const R: usize, const C: usize>(
        rows: &[f64],
        d: usize,
        vectors: &[f64],
        m: usize,
        zero: f64,
        out: &mut [f64],
        r0: usize,
        i0: usize,
    ) {
        let mut acc = [[zero; C]; R];
        for j in 0..d {
            let v = &vectors[j * m + i0..j * m + i0 + C];
            for r in 0..R {
                let c = rows[(r0 + r) * d + j];
                for i in 0..C {
                    acc[r][i] += v[i] * c;
                }
            }
        }
        for r in 0..R {
            out[(r0 + r) * m + i0..(r0 + r) * m + i0 + C].copy_from_slice(&acc[r]);
        }
    }
}

/// `rows[r * d + j] -= scores[r * k + p] · components[p * d + j]` for `p = 0, 1, …` in turn
/// (each row's residual after its projection on `k` components of `d` values).
pub(crate) mod residuals {
    use super::TR;

    dispatch!(plain, [16, 8, 8], (rows: &mut [f64], d: usize, scores: &[f64], k: usize, components: &[f64]));

    #[inline(always)]
    fn plain<const TC: usize>(
        rows: &mut [f64],
        d: usize,
        scores: &[f64],
        k: usize,
        components: &[f64],
    ) {
        let n = rows.len() / d.max(1);
        let mut r0 = 0;
        while r0 < n {
            let tr = (n - r0).min(TR);
            let mut j0 = 0;
            while j0 < d {
                let tc = (d - j0).min(TC);
                if tr == TR && tc == TC {
                    tile::<TR, TC>(rows, d, scores, k, components, r0, j0);
                } else if tr == TR {
                    // The last columns: still the rows' sums side by side.
                    for j in j0..j0 + tc {
                        tile::<TR, 1>(rows, d, scores, k, components, r0, j);
                    }
                } else {
                    for r in r0..r0 + tr {
                        for j in j0..j0 + tc {
                            tile::<1, 1>(rows, d, scores, k, components, r, j);
                        }
                    }
                }
                j0 += tc;
            }
            r0 += tr;
        }
    }

    #[inline(always)]
    fn tile<const R: usize, const C: usize>(
        rows: &mut [f64],
        d: usize,
        scores: &[f64],
        k: usize,
        components: &[f64],
        r0: usize,
        j0: usize,
    ) {
        let mut acc = [[0.0; C]; R];
        for r in 0..R {
            acc[r].copy_from_slice(&rows[(r0 + r) * d + j0..(r0 + r) * d + j0 + C]);
        }
        for p in 0..k {
            let c = &components[p * d + j0..p * d + j0 + C];
            for r in 0..R {
                let s = scores[(r0 + r) * k + p];
                for j in 0..C {
                    acc[r][j] -= s * c[j];
                }
            }
        }
        for r in 0..R {
            rows[(r0 + r) * d + j0..(r0 + r) * d + j0 + C].copy_from_slice(&acc[r]);
        }
    }
}

/// `upper[i * d + j] += rows[r * d + i] · rows[r * d + j]` for every row `r` in turn, for
/// `j ≥ i` in the matrix rows `first..` that `upper` holds (`upper` starts at row `first`).
/// Entries left of the diagonal are computed too where a tile straddles it (never read).
pub(crate) mod scatter {
    use super::TR;

    dispatch!(plain, [16, 8, 8], (rows: &[f64], d: usize, first: usize, upper: &mut [f64]));

    #[inline(always)]
    fn plain<const TC: usize>(rows: &[f64], d: usize, first: usize, upper: &mut [f64]) {
        let strip = upper.len() / d.max(1);
        let mut i0 = 0;
        while i0 < strip {
            let tr = (strip - i0).min(TR);
            // Columns from the tile's diagonal, in tiles aligned on it.
            let mut j0 = first + i0;
            while j0 < d {
                let tc = (d - j0).min(TC);
                if tr == TR && tc == TC {
                    tile::<TR, TC>(rows, d, first, upper, i0, j0);
                } else if tr == TR {
                    // The last columns: still the rows' sums side by side.
                    for j in j0..j0 + tc {
                        tile::<TR, 1>(rows, d, first, upper, i0, j);
                    }
                } else {
                    for i in i0..i0 + tr {
                        for j in j0..j0 + tc {
                            tile::<1, 1>(rows, d, first, upper, i, j);
                        }
                    }
                }
                j0 += tc;
            }
            i0 += tr;
        }
    }

    #[inline(always)]
    fn tile<const R: usize, const C: usize>(
        rows: &[f64],
        d: usize,
        first: usize,
        upper: &mut [f64],
        i0: usize,
        j0: usize,
    ) {
        let mut acc = [[0.0; C]; R];
        for i in 0..R {
            acc[i].copy_from_slice(&upper[(i0 + i) * d + j0..(i0 + i) * d + j0 + C]);
        }
        for row in rows.chunks_exact(d) {
            let cj = &row[j0..j0 + C];
            for i in 0..R {
                let ci = row[first + i0 + i];
                for j in 0..C {
                    acc[i][j] += ci * cj[j];
                }
            }
        }
        for i in 0..R {
            upper[(i0 + i) * d + j0..(i0 + i) * d + j0 + C].copy_from_slice(&acc[i]);
        }
    }
}

/// Rows of the eigenvector matrix rotated together: one panel of them, column by column.
pub(crate) const PANEL: usize = 16;

/// A plane rotation of columns `column` and `column + 1`: `(a, b) ← (a·c + s·b, −s·a + b·c)`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rotation {
    pub column: usize,
    pub c: f64,
    pub s: f64,
}

/// Applies `rotations` in turn to a panel of [`PANEL`] rows stored column by column
/// (`panel[j * PANEL + r]`: row `r`, column `j`).
pub(crate) mod rotate {
    use super::{Rotation, PANEL};

    dispatch!(plain, [PANEL, PANEL, PANEL], (panel: &mut [f64], rotations: &[Rotation]));

    #[inline(always)]
    fn plain<const W: usize>(panel: &mut [f64], rotations: &[Rotation]) {
        for r in rotations {
            let i = r.column;
            let (x, y) = panel[i * W..(i + 2) * W].split_at_mut(W);
            let (c, s) = (r.c, r.s);
            for k in 0..W {
                let (a, b) = (x[k], y[k]);
                x[k] = a * c + s * b;
                y[k] = -s * a + b * c;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(n: usize, seed: u64) -> Vec<f64> {
        let mut state = seed | 1;
        (0..n)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                ((state >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 3.0
            })
            .collect()
    }

    #[test]
    fn tiles_give_the_plain_loops_sums_bit_for_bit() {
        // Sizes off the tiles' multiples, so the edges are covered.
        for (lanes, (n, d, m)) in Lanes::available().into_iter().flat_map(|l| {
            [(9, 13, 6), (4, 8, 8), (1, 3, 1), (23, 37, 19), (8, 40, 33)].map(|s| (l, s))
        }) {
            let rows = values(n * d, 1);
            let vectors = values(d * m, 2);
            let zero: f64 = std::iter::empty::<f64>().sum();
            let mut out = vec![0.0; n * m];
            scores::on(lanes, &rows, d, &vectors, m, zero, &mut out);
            for r in 0..n {
                for i in 0..m {
                    let mut s = zero;
                    for j in 0..d {
                        s += vectors[j * m + i] * rows[r * d + j];
                    }
                    assert_eq!(s.to_bits(), out[r * m + i].to_bits(), "scores {n} {d} {m}");
                }
            }

            let mut residual = rows.clone();
            residuals::on(lanes, &mut residual, d, &out, m, &vectors);
            for r in 0..n {
                for j in 0..d {
                    let mut x = rows[r * d + j];
                    for p in 0..m {
                        x -= out[r * m + p] * vectors[p * d + j];
                    }
                    assert_eq!(x.to_bits(), residual[r * d + j].to_bits(), "residual");
                }
            }

            for first in [0, d / 2] {
                let mut upper = values((d - first) * d, 3);
                let before = upper.clone();
                scatter::on(lanes, &rows, d, first, &mut upper);
                for i in first..d {
                    for j in i..d {
                        let mut x = before[(i - first) * d + j];
                        for r in 0..n {
                            x += rows[r * d + i] * rows[r * d + j];
                        }
                        assert_eq!(x.to_bits(), upper[(i - first) * d + j].to_bits(), "scatter");
                    }
                }
            }
        }
    }

    #[test]
    fn a_panel_turns_as_each_rotation_would() {
        let columns = 7;
        let before = values(columns * PANEL, 4);
        let rotations: Vec<Rotation> = (0..20)
            .map(|t| Rotation {
                column: t % (columns - 1),
                c: (t as f64 * 0.3).cos(),
                s: (t as f64 * 0.3).sin(),
            })
            .collect();
        for lanes in Lanes::available() {
            let mut panel = before.clone();
            rotate::on(lanes, &mut panel, &rotations);
            for row in 0..PANEL {
                let mut q: Vec<f64> = (0..columns).map(|j| before[j * PANEL + row]).collect();
                for r in &rotations {
                    let (a, b) = (q[r.column], q[r.column + 1]);
                    q[r.column] = a * r.c + r.s * b;
                    q[r.column + 1] = -r.s * a + b * r.c;
                }
                for j in 0..columns {
                    assert_eq!(q[j].to_bits(), panel[j * PANEL + row].to_bits());
                }
            }
        }
    }
}
