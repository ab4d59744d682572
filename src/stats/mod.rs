//! The numeric floor: building blocks the detectors, the model and the monitor share (sorting,
//! rank statistics, distributions, corrections). It reads only `data`; nothing here knows of
//! configuration, detectors or alerts.

pub mod anderson_darling;
pub mod binned;
pub mod chi2;
pub mod correction;
pub mod cramer_von_mises;
pub mod histogram;
pub mod isotonic;
pub mod kolmogorov;
pub mod nonfinite;
pub mod pca;
pub mod quantile;
pub mod roc_auc;
pub mod sort;
pub mod symmetric_eigen;
pub mod wasserstein;
