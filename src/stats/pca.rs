//! Principal component analysis for reconstruction error, as scikit-learn's
//! `PCA(n_components=share)` fits it: centre the data, take the covariance's eigenvectors by
//! descending eigenvalue, keep the fewest whose explained-variance ratios sum past `share`.
//!
//! Only the subspace matters for the reconstruction error (signs and rotations within it do
//! not), so a dense symmetric eigen solver reproduces LAPACK's SVD closely. The solver gives
//! every eigenvector, so when more components are kept than dropped the error is the length of
//! the row's projection on the dropped ones (the same distance, in fewer operations).

// Matrix code reads best in index notation.
#![allow(clippy::needless_range_loop)]

use rayon::prelude::*;

use super::dense;
use super::symmetric_eigen::symmetric_eigen;

/// Rows centred at a time while the scatter matrix is summed (a few hundred KiB).
const SCATTER_ROWS: usize = 256;
/// Rows of the scatter matrix per parallel task.
const SCATTER_STRIP: usize = 8;

/// A fitted PCA.
#[derive(Debug, Clone, PartialEq)]
pub struct Pca {
    /// Column means of the fitted data (scikit-learn's `mean_`).
    pub mean: Vec<f64>,
    /// Kept unit components, by descending variance.
    pub components: Vec<Vec<f64>>,
    /// The other eigenvectors, which with `components` form an orthonormal basis.
    pub dropped: Vec<Vec<f64>>,
    /// Explained-variance ratio of every component, descending.
    pub explained_variance_ratio: Vec<f64>,
}

impl Pca {
    /// Fits on `rows` (each of the same length, finite), keeping the fewest components whose
    /// cumulative explained-variance ratio exceeds `share` (in (0, 1)). `None` for no rows, no
    /// columns, or a value that is not finite. One row, or rows with no variance at all, keep no
    /// component: every row's error is then its distance from their mean.
    #[cfg(test)]
    pub fn fit(rows: &[Vec<f64>], share: f64) -> Option<Pca> {
        let d = rows.first()?.len();
        if rows.iter().any(|r| r.len() != d) {
            return None;
        }
        let flat: Vec<f64> = rows.iter().flatten().copied().collect();
        Pca::fit_flat(&flat, d, share)
    }

    /// [`Pca::fit`] on rows stored one after another, `d` values each.
    pub(crate) fn fit_flat(data: &[f64], d: usize, share: f64) -> Option<Pca> {
        if d == 0 || !data.len().is_multiple_of(d) {
            return None;
        }
        let n = data.len() / d;
        if n == 0 {
            return None;
        }
        let mut mean = vec![0.0; d];
        for row in data.chunks_exact(d) {
            for (m, v) in mean.iter_mut().zip(row) {
                *m += v;
            }
        }
        mean.iter_mut().for_each(|m| *m /= n as f64);
        if n < 2 {
            return Some(Pca::without_components(mean));
        }
        let scatter = scatter(data, d, &mean);
        let mut cov = vec![vec![0.0; d]; d];
        for i in 0..d {
            for j in i..d {
                cov[i][j] = scatter[i * d + j] / (n - 1) as f64;
                cov[j][i] = cov[i][j];
            }
        }
        let eigen = symmetric_eigen(&cov)?;
        let values: Vec<f64> = eigen.values.iter().map(|v| v.max(0.0)).collect();
        let total: f64 = values.iter().sum();
        if total <= 0.0 {
            return Some(Pca::without_components(mean));
        }
        let ratio: Vec<f64> = values.iter().map(|v| v / total).collect();
        // np.searchsorted(cumsum, share, side="right") + 1
        let mut cum = 0.0;
        let mut below = 0;
        for r in &ratio {
            cum += r;
            if cum <= share {
                below += 1;
            }
        }
        let keep = (below + 1).min(d);
        Some(Pca {
            mean,
            dropped: eigen.vectors[keep.min(eigen.vectors.len())..].to_vec(),
            components: eigen.vectors.into_iter().take(keep).collect(),
            explained_variance_ratio: ratio,
        })
    }

    /// A PCA about `mean` that keeps no component: what rows with no variance give.
    pub(crate) fn without_components(mean: Vec<f64>) -> Pca {
        let d = mean.len();
        Pca {
            mean,
            components: Vec::new(),
            dropped: (0..d)
                .map(|i| (0..d).map(|j| f64::from(u8::from(i == j))).collect())
                .collect(),
            explained_variance_ratio: vec![0.0; d],
        }
    }

    /// Euclidean distance between `row` and its projection back from the kept components;
    /// `scratch` is reused memory (no allocation per row once it has grown).
    #[cfg(test)]
    pub fn reconstruction_error(&self, row: &[f64], scratch: &mut Vec<f64>) -> f64 {
        let d = row.len();
        let k = self.components.len();
        scratch.clear();
        scratch.extend(row.iter().zip(&self.mean).map(|(v, m)| v - m));
        if self.dropped.len() < k && self.dropped.len() + k == d {
            // The residual is the projection on the dropped eigenvectors: its length is the
            // root of the squared scores on them (orthonormal), with no cancellation.
            return self
                .dropped
                .iter()
                .map(|c| {
                    let s: f64 = c.iter().zip(scratch.iter()).map(|(a, b)| a * b).sum();
                    s * s
                })
                .sum::<f64>()
                .sqrt();
        }
        // Scores from the centred row first, then the residual, as scikit-learn's
        // transform-then-inverse_transform does.
        scratch.resize(d + k, 0.0);
        let (centred, scores) = scratch.split_at_mut(d);
        for (s, c) in scores.iter_mut().zip(&self.components) {
            *s = c.iter().zip(centred.iter()).map(|(a, b)| a * b).sum();
        }
        for (s, c) in scores.iter().zip(&self.components) {
            for (r, ci) in centred.iter_mut().zip(c) {
                *r -= s * ci;
            }
        }
        centred.iter().map(|r| r * r).sum::<f64>().sqrt()
    }
}

/// The upper triangle of the scatter matrix of `data` (rows of `d` values) about `mean`
/// (`d × d`, row-major; entries below the diagonal are not meaningful), summed over blocks of
/// rows in parallel.
fn scatter(data: &[f64], d: usize, mean: &[f64]) -> Vec<f64> {
    data.par_chunks(d * 4096)
        .map(|block| {
            let mut upper = vec![0.0; d * d];
            let mut centred = Vec::with_capacity(d * SCATTER_ROWS);
            for rows in block.chunks(d * SCATTER_ROWS) {
                centred.clear();
                for row in rows.chunks_exact(d) {
                    centred.extend(row.iter().zip(mean).map(|(v, m)| v - m));
                }
                // Strips of the matrix's rows in parallel; each entry sums its rows in
                // order, as one row after another did.
                upper
                    .par_chunks_mut(d * SCATTER_STRIP)
                    .enumerate()
                    .for_each(|(s, strip)| {
                        dense::scatter::dispatched(&centred, d, s * SCATTER_STRIP, strip)
                    });
            }
            upper
        })
        .reduce(
            || vec![0.0; d * d],
            |mut a, b| {
                a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
                a
            },
        )
}

/// A [`Pca`]'s vectors laid out for scoring many rows: each eigenvector's `j`-th entries side by
/// side, so a row's scores on all of them are one pass over the row that updates every score
/// at once. Each score still sums its products in the row's order, exactly as
/// [`Pca::reconstruction_error`]'s dot products do, so every error is bit-identical; what
/// changes is that the scores no longer wait for each other (one dot product at a time is a
/// chain of dependent additions, a latency of several cycles per product).
#[derive(Debug, Clone)]
pub(crate) struct Projector {
    mean: Vec<f64>,
    d: usize,
    /// The short path (see [`Pca::reconstruction_error`]): the residual is the projection on
    /// the dropped vectors.
    short: bool,
    /// `vectors[j * m + i]` is entry `j` of vector `i` (the dropped ones on the short path,
    /// else the kept ones), `m` of them.
    vectors: Vec<f64>,
    m: usize,
    /// The kept components one after another, `d` values each (the long path's residual).
    components: Vec<f64>,
}

impl Pca {
    /// This PCA's vectors laid out for [`Projector::reconstruction_error`].
    pub(crate) fn projector(&self) -> Projector {
        let d = self.mean.len();
        let k = self.components.len();
        let short = self.dropped.len() < k && self.dropped.len() + k == d;
        let chosen = if short {
            &self.dropped
        } else {
            &self.components
        };
        let m = chosen.len();
        let mut vectors = vec![0.0; d * m];
        for (i, v) in chosen.iter().enumerate() {
            for (j, &x) in v.iter().enumerate().take(d) {
                vectors[j * m + i] = x;
            }
        }
        Projector {
            mean: self.mean.clone(),
            d,
            short,
            vectors,
            m,
            components: if short {
                Vec::new()
            } else {
                self.components.iter().flatten().copied().collect()
            },
        }
    }
}

impl Projector {
    /// [`Pca::reconstruction_error`], bit for bit, for a row of the fitted length; `scratch`
    /// is reused memory. The tests' model of [`Projector::errors`].
    #[cfg(test)]
    pub fn reconstruction_error(&self, row: &[f64], scratch: &mut Vec<f64>) -> f64 {
        let (d, m) = (self.d, self.m);
        // What `Iterator::sum` starts from (the same zero, whatever its sign).
        let zero: f64 = std::iter::empty::<f64>().sum();
        scratch.clear();
        scratch.extend(row.iter().zip(&self.mean).map(|(v, m)| v - m));
        scratch.resize(d + m, zero);
        let (centred, scores) = scratch.split_at_mut(d);
        for (j, &c) in centred.iter().enumerate() {
            let column = &self.vectors[j * m..(j + 1) * m];
            for (s, &v) in scores.iter_mut().zip(column) {
                *s += v * c;
            }
        }
        if self.short {
            return scores.iter().map(|s| s * s).sum::<f64>().sqrt();
        }
        for (&s, c) in scores.iter().zip(self.components.chunks_exact(d.max(1))) {
            subtract_scaled(centred, s, c);
        }
        centred.iter().map(|r| r * r).sum::<f64>().sqrt()
    }

    /// [`Projector::reconstruction_error`] of each of the rows one after another in `rows`
    /// into `errors`, bit for bit, as matrix products in tiles ([`dense`]); `scratch` is
    /// reused memory.
    pub fn errors(&self, rows: &[f64], errors: &mut [f64], scratch: &mut Vec<f64>) {
        let (d, m) = (self.d, self.m);
        let n = errors.len();
        let zero: f64 = std::iter::empty::<f64>().sum();
        scratch.clear();
        for row in rows.chunks_exact(d.max(1)).take(n) {
            scratch.extend(row.iter().zip(&self.mean).map(|(v, m)| v - m));
        }
        scratch.resize(n * d + n * m, zero);
        let (centred, scores) = scratch.split_at_mut(n * d);
        dense::scores::dispatched(centred, d, &self.vectors, m, zero, scores);
        if self.short {
            for (r, e) in errors.iter_mut().enumerate() {
                let s = &scores[r * m..(r + 1) * m];
                *e = s.iter().map(|s| s * s).sum::<f64>().sqrt();
            }
            return;
        }
        dense::residuals::dispatched(centred, d, scores, m, &self.components);
        for (r, e) in errors.iter_mut().enumerate() {
            let row = &centred[r * d..(r + 1) * d];
            *e = row.iter().map(|r| r * r).sum::<f64>().sqrt();
        }
    }
}

/// `r[j] -= s * c[j]` for every `j`, four at a time (each element as the plain loop computes
/// it; the blocks only let the compiler use vector instructions).
#[cfg(test)]
#[inline]
fn subtract_scaled(r: &mut [f64], s: f64, c: &[f64]) {
    let mut rs = r.chunks_exact_mut(4);
    let mut cs = c.chunks_exact(4);
    for (r4, c4) in (&mut rs).zip(&mut cs) {
        r4[0] -= s * c4[0];
        r4[1] -= s * c4[1];
        r4[2] -= s * c4[2];
        r4[3] -= s * c4[3];
    }
    for (x, y) in rs.into_remainder().iter_mut().zip(cs.remainder()) {
        *x -= s * y;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_on_a_line_reconstruct_exactly_with_one_component() {
        let rows: Vec<Vec<f64>> = (0..50)
            .map(|i| {
                let t = f64::from(i) / 10.0;
                vec![t, 2.0 * t + 1.0, -t]
            })
            .collect();
        let pca = Pca::fit(&rows, 0.65).expect("fits");
        assert_eq!(pca.components.len(), 1);
        let mut scratch = Vec::new();
        assert!(pca.reconstruction_error(&[1.0, 3.0, -1.0], &mut scratch) < 1e-12);
        let off = pca.reconstruction_error(&[1.0, 3.0, 0.0], &mut scratch);
        assert!(off > 0.5, "{off}");
        assert!(Pca::fit(&[], 0.65).is_none());
        assert!(Pca::fit(&[vec![]], 0.65).is_none());
    }

    #[test]
    fn one_row_or_no_variance_keeps_no_component_and_measures_the_distance() {
        for rows in [vec![vec![1.0, 2.0]], vec![vec![1.0, 2.0]; 3]] {
            let pca = Pca::fit(&rows, 0.65).expect("fits");
            assert!(pca.components.is_empty());
            let mut scratch = Vec::new();
            assert_eq!(pca.reconstruction_error(&[1.0, 2.0], &mut scratch), 0.0);
            assert_eq!(pca.reconstruction_error(&[4.0, 6.0], &mut scratch), 5.0);
        }
    }

    #[test]
    fn the_dropped_eigenvectors_give_the_same_distance() {
        // Five columns, four of them needed for 65 %: the short path (one dropped vector).
        let rows: Vec<Vec<f64>> = (0..200)
            .map(|i| {
                let t = f64::from(i);
                vec![
                    (t * 0.37).sin(),
                    (t * 1.13).cos(),
                    (t * 0.71).sin() * 0.9,
                    (t * 2.9).cos() * 0.8,
                    0.05 * (t * 0.37).sin() + 0.01 * (t * 5.3).cos(),
                ]
            })
            .collect();
        let mut pca = Pca::fit(&rows, 0.65).expect("fits");
        assert!(
            pca.dropped.len() < pca.components.len(),
            "{}",
            pca.components.len()
        );
        let mut scratch = Vec::new();
        let short: Vec<f64> = rows
            .iter()
            .map(|r| pca.reconstruction_error(r, &mut scratch))
            .collect();
        pca.dropped.clear();
        for (r, s) in rows.iter().zip(&short) {
            let long = pca.reconstruction_error(r, &mut scratch);
            assert!((long - s).abs() <= 1e-12 * long.max(1e-3), "{long} {s}");
        }
    }

    #[test]
    fn the_scatter_matrix_sums_each_entry_as_one_row_after_another() {
        // More rows than a block of centred rows, columns off the tiles' multiples.
        let (n, d) = (600, 21);
        let data: Vec<f64> = (0..n * d)
            .map(|i| ((i as f64) * 0.618).sin() * (1.0 + (i % 7) as f64))
            .collect();
        let mean: Vec<f64> = (0..d).map(|j| (j as f64) * 0.01 - 0.1).collect();
        let got = scatter(&data, d, &mean);
        let mut want = vec![0.0; d * d];
        for row in data.chunks_exact(d) {
            let centred: Vec<f64> = row.iter().zip(&mean).map(|(v, m)| v - m).collect();
            for i in 0..d {
                for j in i..d {
                    want[i * d + j] += centred[i] * centred[j];
                }
            }
        }
        for i in 0..d {
            for j in i..d {
                assert_eq!(
                    want[i * d + j].to_bits(),
                    got[i * d + j].to_bits(),
                    "{i} {j}"
                );
            }
        }
    }

    #[test]
    fn the_projector_gives_every_error_bit_for_bit() {
        // Both paths: few components kept (long) and most kept (short).
        let mut paths = Vec::new();
        for (share, columns) in [(0.3, 6), (0.95, 6), (0.65, 40)] {
            let rows: Vec<Vec<f64>> = (0..300)
                .map(|i| {
                    let t = f64::from(i);
                    (0..columns)
                        .map(|c| (t * (0.1 + 0.37 * f64::from(c))).sin() * (1.0 + f64::from(c)))
                        .collect()
                })
                .collect();
            let pca = Pca::fit(&rows, share).expect("fits");
            let projector = pca.projector();
            paths.push(projector.short);
            let (mut a, mut b) = (Vec::new(), Vec::new());
            let flat: Vec<f64> = rows.iter().flatten().copied().collect();
            let mut batch = vec![0.0; rows.len()];
            projector.errors(&flat, &mut batch, &mut Vec::new());
            for (r, from_batch) in rows.iter().zip(&batch) {
                let want = pca.reconstruction_error(r, &mut a);
                let got = projector.reconstruction_error(r, &mut b);
                assert_eq!(want.to_bits(), got.to_bits(), "{share} {columns}");
                assert_eq!(want.to_bits(), from_batch.to_bits(), "{share} {columns}");
            }
        }
        assert!(paths.contains(&true) && paths.contains(&false), "{paths:?}");
    }
}
