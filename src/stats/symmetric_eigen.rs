//! Eigenvalues and eigenvectors of a dense symmetric matrix, by nalgebra's `SymmetricEigen`
//! (Householder tridiagonalisation, then implicit symmetric QR with Wilkinson shifts).
//!
//! Deterministic (no random start, unlike randomised SVD solvers) and backward stable, which
//! is what reproducing a PCA fitted by LAPACK needs; O(d³) with a small constant, so a
//! covariance of 500 features decomposes in well under a second (the cyclic Jacobi method
//! used before took 99 s there: `pca` is a default detector, and it held the start-up).

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
    let m = nalgebra::DMatrix::from_fn(d, d, |i, j| a[i][j]);
    // No iteration bound: QR on a finite symmetric matrix converges.
    let eigen = nalgebra::SymmetricEigen::try_new(m, f64::EPSILON, 0)?;
    let mut order: Vec<usize> = (0..d).collect();
    order.sort_by(|&i, &j| eigen.eigenvalues[j].total_cmp(&eigen.eigenvalues[i]));
    Some(SymmetricEigen {
        values: order.iter().map(|&i| eigen.eigenvalues[i]).collect(),
        vectors: order
            .iter()
            .map(|&i| eigen.eigenvectors.column(i).iter().copied().collect())
            .collect(),
    })
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
}
