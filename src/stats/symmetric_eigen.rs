//! Eigenvalues and eigenvectors of a dense symmetric matrix, as nalgebra's `SymmetricEigen`
//! computes them, bit for bit: its Householder tridiagonalisation, then its implicit symmetric
//! QR with Wilkinson shifts, step for step.
//!
//! Deterministic (no random start, unlike randomised SVD solvers) and backward stable, which
//! is what reproducing a PCA fitted by LAPACK needs (the cyclic Jacobi method used before took
//! 99 s on 500 features: `pca` is a default detector, and it held the start-up).
//!
//! Why not call nalgebra's whole solver: its QR applies each plane rotation to two whole
//! columns of the eigenvector matrix as it is found, about d² rotations of d rows each, one
//! after another. The rotations depend only on the tridiagonal matrix, never on the
//! eigenvectors, and each row of the eigenvectors is turned by them independently of the
//! others: here they are recorded and applied afterwards, to panels of rows in parallel, with
//! wide instructions ([`super::dense`]). Each row sees the same rotations in the same order,
//! so every entry is the same number (`gives_nalgebras_decomposition_bit_for_bit`).

use nalgebra::linalg::givens::GivensRotation;
use nalgebra::linalg::{wilkinson_shift, SymmetricTridiagonal};
use nalgebra::{DMatrix, Matrix2, Vector2};
use rayon::prelude::*;

use super::dense::{rotate, Rotation, PANEL};

/// Rotations recorded before they are applied (a few MB at most, whatever the size).
const BATCH: usize = 1 << 16;

/// Eigen decomposition: `values[i]` with unit eigenvector `vectors[i]`, values descending.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SymmetricEigen {
    pub values: Vec<f64>,
    pub vectors: Vec<Vec<f64>>,
}

/// Decomposes the symmetric matrix `a` (rows; only its lower triangle is read).
/// `None` when it is not square or holds a non-finite value.
pub(crate) fn symmetric_eigen(a: &[Vec<f64>]) -> Option<SymmetricEigen> {
    let d = a.len();
    if a.iter()
        .any(|row| row.len() != d || row.iter().any(|v| !v.is_finite()))
    {
        return None;
    }
    if d == 0 {
        // nalgebra panics on an empty matrix.
        return Some(SymmetricEigen {
            values: Vec::new(),
            vectors: Vec::new(),
        });
    }
    let (values, eigenvectors) = decompose(DMatrix::from_fn(d, d, |i, j| a[i][j]));
    let mut order: Vec<usize> = (0..d).collect();
    order.sort_by(|&i, &j| values[j].total_cmp(&values[i]));
    Some(SymmetricEigen {
        values: order.iter().map(|&i| values[i]).collect(),
        vectors: order.iter().map(|&i| eigenvectors.column(i)).collect(),
    })
}

/// The eigenvector matrix, rows in panels of [`PANEL`], each panel column by column.
struct Panels {
    d: usize,
    data: Vec<f64>,
}

impl Panels {
    fn from(q: &DMatrix<f64>) -> Panels {
        let d = q.nrows();
        let mut data = vec![0.0; d.div_ceil(PANEL) * PANEL * d];
        for (j, column) in q.column_iter().enumerate() {
            for (r, &x) in column.iter().enumerate() {
                data[(r / PANEL) * PANEL * d + j * PANEL + r % PANEL] = x;
            }
        }
        Panels { d, data }
    }

    fn apply(&mut self, rotations: &[Rotation]) {
        if rotations.is_empty() {
            return;
        }
        self.data
            .par_chunks_mut(PANEL * self.d)
            .for_each(|panel| rotate::dispatched(panel, rotations));
    }

    fn column(&self, j: usize) -> Vec<f64> {
        (0..self.d)
            .map(|r| self.data[(r / PANEL) * PANEL * self.d + j * PANEL + r % PANEL])
            .collect()
    }
}

/// nalgebra's `SymmetricEigen::try_new(m, f64::EPSILON, 0)` (`do_decompose` with
/// eigenvectors), the rotations of the eigenvectors deferred: eigenvalues in nalgebra's order,
/// and the eigenvectors as columns.
fn decompose(mut matrix: DMatrix<f64>) -> (Vec<f64>, Panels) {
    let eps = f64::EPSILON;
    let dim = matrix.nrows();
    let m_amax = matrix.camax();
    if m_amax != 0.0 {
        matrix.unscale_mut(m_amax);
    }
    let (q, mut diag, mut off_diag) = SymmetricTridiagonal::new(matrix).unpack();
    let mut panels = Panels::from(&q);
    drop(q);
    if dim == 1 {
        diag.scale_mut(m_amax);
        return (diag.as_slice().to_vec(), panels);
    }
    let mut rotations: Vec<Rotation> = Vec::new();
    let mut record = |rotation: Rotation, panels: &mut Panels| {
        rotations.push(rotation);
        if rotations.len() == BATCH {
            panels.apply(&rotations);
            rotations.clear();
        }
    };
    let (mut start, mut end) =
        delimit_subproblem(diag.as_slice(), off_diag.as_mut_slice(), dim - 1, eps);
    while end != start {
        let subdim = end - start + 1;
        if subdim > 2 {
            let m = end - 1;
            let n = end;
            let mut vec = Vector2::new(
                diag[start] - wilkinson_shift(diag[m], diag[n], off_diag[m]),
                off_diag[start],
            );
            for i in start..n {
                let j = i + 1;
                let Some((rot, norm)) = GivensRotation::cancel_y(&vec) else {
                    break;
                };
                if i > start {
                    off_diag[i - 1] = norm;
                }
                let mii = diag[i];
                let mjj = diag[j];
                let mij = off_diag[i];
                let cc = rot.c() * rot.c();
                let ss = rot.s() * rot.s();
                let cs = rot.c() * rot.s();
                let b = cs * 2.0 * mij;
                diag[i] = (cc * mii + ss * mjj) - b;
                diag[j] = (ss * mii + cc * mjj) + b;
                off_diag[i] = cs * (mii - mjj) + mij * (cc - ss);
                if i != n - 1 {
                    vec.x = off_diag[i];
                    vec.y = -rot.s() * off_diag[i + 1];
                    off_diag[i + 1] *= rot.c();
                }
                // nalgebra turns the columns by the rotation's inverse.
                let inverse = GivensRotation::new_unchecked(rot.c(), rot.s()).inverse();
                let rotation = Rotation {
                    column: i,
                    c: inverse.c(),
                    s: inverse.s(),
                };
                record(rotation, &mut panels);
            }
            if off_diag[m].abs() <= eps * (diag[m].abs() + diag[n].abs()) {
                end -= 1;
            }
        } else if subdim == 2 {
            let m = Matrix2::new(
                diag[start],
                off_diag[start],
                off_diag[start],
                diag[start + 1],
            );
            // A symmetric 2 x 2 matrix has real eigenvalues; nalgebra unwraps them.
            let Some(eigvals) = m.eigenvalues() else {
                break;
            };
            // Choose the basis least likely to experience cancellation.
            let basis = if (eigvals.x - diag[start + 1]).abs() > (eigvals.x - diag[start]).abs() {
                Vector2::new(eigvals.x - diag[start + 1], off_diag[start])
            } else {
                Vector2::new(off_diag[start], eigvals.x - diag[start])
            };
            diag[start] = eigvals[0];
            diag[start + 1] = eigvals[1];
            if let Some((rot, _)) = GivensRotation::try_new(basis.x, basis.y, eps) {
                let rotation = Rotation {
                    column: start,
                    c: rot.c(),
                    s: rot.s(),
                };
                record(rotation, &mut panels);
            }
            end -= 1;
        }
        // Re-delimit the subproblem in case some decoupling occurred.
        (start, end) = delimit_subproblem(diag.as_slice(), off_diag.as_mut_slice(), end, eps);
    }
    panels.apply(&rotations);
    diag.scale_mut(m_amax);
    (diag.as_slice().to_vec(), panels)
}

/// nalgebra's `SymmetricEigen::delimit_subproblem`.
fn delimit_subproblem(diag: &[f64], off_diag: &mut [f64], end: usize, eps: f64) -> (usize, usize) {
    let mut n = end;
    while n > 0 {
        let m = n - 1;
        if off_diag[m].abs() > eps * (diag[n].abs() + diag[m].abs()) {
            break;
        }
        n -= 1;
    }
    if n == 0 {
        return (0, 0);
    }
    let mut new_start = n - 1;
    while new_start > 0 {
        let m = new_start - 1;
        if off_diag[m] == 0.0 || off_diag[m].abs() <= eps * (diag[new_start].abs() + diag[m].abs())
        {
            off_diag[m] = 0.0;
            break;
        }
        new_start -= 1;
    }
    (new_start, n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decomposes_and_reconstructs() {
        let a = vec![
            vec![4.0, 1.0, 0.5, 0.0],
            vec![1.0, 3.0, 0.2, 0.1],
            vec![0.5, 0.2, 2.0, 0.3],
            vec![0.0, 0.1, 0.3, 1.0],
        ];
        let e = symmetric_eigen(&a).expect("square");
        assert!(e.values.windows(2).all(|w| w[0] >= w[1]));
        for (i, row) in a.iter().enumerate() {
            for (j, &want) in row.iter().enumerate() {
                let got: f64 = (0..4)
                    .map(|k| e.values[k] * e.vectors[k][i] * e.vectors[k][j])
                    .sum();
                assert!((got - want).abs() < 1e-13, "({i},{j}) {got} vs {want}");
            }
        }
        let trace: f64 = e.values.iter().sum();
        assert!((trace - 10.0).abs() < 1e-13);
    }

    #[test]
    fn rejects_bad_input() {
        assert!(symmetric_eigen(&[vec![1.0, 2.0]]).is_none());
        assert!(symmetric_eigen(&[vec![f64::NAN]]).is_none());
        assert_eq!(symmetric_eigen(&[]).map(|e| e.values.len()), Some(0));
        let one = symmetric_eigen(&[vec![2.5]]).expect("1 x 1");
        assert_eq!((one.values, one.vectors), (vec![2.5], vec![vec![1.0]]));
    }

    /// What nalgebra's own solver gives, sorted as `symmetric_eigen` sorts.
    fn nalgebras(a: &[Vec<f64>]) -> SymmetricEigen {
        let d = a.len();
        let m = nalgebra::DMatrix::from_fn(d, d, |i, j| a[i][j]);
        let eigen = nalgebra::SymmetricEigen::try_new(m, f64::EPSILON, 0).expect("converges");
        let mut order: Vec<usize> = (0..d).collect();
        order.sort_by(|&i, &j| eigen.eigenvalues[j].total_cmp(&eigen.eigenvalues[i]));
        SymmetricEigen {
            values: order.iter().map(|&i| eigen.eigenvalues[i]).collect(),
            vectors: order
                .iter()
                .map(|&i| eigen.eigenvectors.column(i).iter().copied().collect())
                .collect(),
        }
    }

    #[test]
    fn gives_nalgebras_decomposition_bit_for_bit() {
        let mut state = 7u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        };
        let mut matrices: Vec<Vec<Vec<f64>>> = Vec::new();
        // Covariances of random rows (more and fewer rows than columns), a diagonal with
        // repeated values, and a matrix of rank one.
        for (rows, d) in [(40, 17), (10, 33), (200, 70)] {
            let data: Vec<Vec<f64>> = (0..rows)
                .map(|_| (0..d).map(|_| next()).collect())
                .collect();
            matrices.push(
                (0..d)
                    .map(|i| {
                        (0..d)
                            .map(|j| data.iter().map(|r| r[i] * r[j]).sum::<f64>())
                            .collect()
                    })
                    .collect(),
            );
        }
        matrices.push(
            (0..9)
                .map(|i| {
                    (0..9)
                        .map(|j| if i == j { (i % 3) as f64 } else { 0.0 })
                        .collect()
                })
                .collect(),
        );
        matrices.push(
            (0..6)
                .map(|i| (0..6).map(|j| (i + 1) as f64 * (j + 1) as f64).collect())
                .collect(),
        );
        matrices.push(vec![vec![2.0, 1.0], vec![1.0, 2.0]]);
        for a in &matrices {
            let got = symmetric_eigen(a).expect("symmetric");
            let want = nalgebras(a);
            let bits = |e: &SymmetricEigen| -> Vec<u64> {
                e.values
                    .iter()
                    .chain(e.vectors.iter().flatten())
                    .map(|v| v.to_bits())
                    .collect()
            };
            assert_eq!(bits(&got), bits(&want), "{} x {}", a.len(), a.len());
        }
    }
}
