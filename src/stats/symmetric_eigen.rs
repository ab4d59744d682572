//! Eigenvalues and eigenvectors of a small dense symmetric matrix by the cyclic Jacobi method.
//!
//! Deterministic (no random start, unlike randomised SVD solvers) and accurate to a few ulps
//! of the largest eigenvalue, which is what reproducing a PCA fitted by LAPACK needs. Cost is
//! O(d³) per sweep and a handful of sweeps: meant for a covariance matrix of tens of features.

// Matrix code reads best in index notation.
#![allow(clippy::needless_range_loop)]

/// Eigen decomposition: `values[i]` with unit eigenvector `vectors[i]`, values descending.
#[derive(Debug, Clone, PartialEq)]
pub struct SymmetricEigen {
    pub values: Vec<f64>,
    pub vectors: Vec<Vec<f64>>,
}

/// Decomposes the symmetric matrix `a` (rows; only its symmetric part is meaningful).
/// `None` when it is not square or holds a non-finite value.
pub fn symmetric_eigen(a: &[Vec<f64>]) -> Option<SymmetricEigen> {
    let d = a.len();
    if a.iter()
        .any(|row| row.len() != d || row.iter().any(|v| !v.is_finite()))
    {
        return None;
    }
    let mut m: Vec<Vec<f64>> = a.to_vec();
    let mut v: Vec<Vec<f64>> = (0..d)
        .map(|i| (0..d).map(|j| f64::from(u8::from(i == j))).collect())
        .collect();
    for _sweep in 0..100 {
        let off: f64 = (0..d)
            .flat_map(|i| (0..d).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| m[i][j] * m[i][j])
            .sum();
        let scale: f64 = (0..d).map(|i| m[i][i] * m[i][i]).sum::<f64>() + off;
        if off <= f64::EPSILON * f64::EPSILON * scale || off == 0.0 {
            break;
        }
        for p in 0..d {
            for q in p + 1..d {
                let apq = m[p][q];
                if apq == 0.0 {
                    continue;
                }
                let theta = (m[q][q] - m[p][p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                // Rotate rows/columns p and q of m.
                for k in 0..d {
                    let (mkp, mkq) = (m[k][p], m[k][q]);
                    m[k][p] = c * mkp - s * mkq;
                    m[k][q] = s * mkp + c * mkq;
                }
                for k in 0..d {
                    let (mpk, mqk) = (m[p][k], m[q][k]);
                    m[p][k] = c * mpk - s * mqk;
                    m[q][k] = s * mpk + c * mqk;
                }
                for row in v.iter_mut() {
                    let (vp, vq) = (row[p], row[q]);
                    row[p] = c * vp - s * vq;
                    row[q] = s * vp + c * vq;
                }
            }
        }
    }
    let mut order: Vec<usize> = (0..d).collect();
    order.sort_by(|&i, &j| m[j][j].total_cmp(&m[i][i]));
    Some(SymmetricEigen {
        values: order.iter().map(|&i| m[i][i]).collect(),
        vectors: order
            .iter()
            .map(|&i| v.iter().map(|row| row[i]).collect())
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
    }
}
