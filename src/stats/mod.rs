//! The numeric floor: building blocks the detectors, the model and the monitor share (sorting,
//! rank statistics, distributions, corrections). It reads only `data`; nothing here knows of
//! configuration, detectors or alerts.

pub(crate) mod anderson_darling;
pub(crate) mod binned;
pub(crate) mod chi2;
pub(crate) mod correction;
pub(crate) mod cramer_von_mises;
pub(crate) mod dense;
pub(crate) mod ecdf_gap;
pub(crate) mod histogram;
pub(crate) mod isotonic;
pub(crate) mod kolmogorov;
pub(crate) mod nonfinite;
pub(crate) mod pca;
pub(crate) mod quantile;
pub(crate) mod roc_auc;
pub(crate) mod sort;
pub(crate) mod symmetric_eigen;
pub(crate) mod wasserstein;

// The documented statistical functions (docs/statistics.md gives each one's scipy equivalent):
// the library's public numeric API. Everything else here is the detectors' own machinery.
pub use anderson_darling::{anderson_ksamp, p_value_bound, AdOutcome};
pub use binned::{ks_binned, wasserstein_binned, Binned, CellSummary};
pub use chi2::{chi2_homogeneity, ChiSquareOutcome};
pub use cramer_von_mises::{cdf_cvm_inf, cramervonmises_2samp, CvmOutcome};
pub use histogram::{histogram, Histogram};
pub use wasserstein::{normed_wasserstein_sorted, wasserstein_sorted};
