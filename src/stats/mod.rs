//! The shared numeric floor: statistics that know nothing of windows, features or settings.

pub mod anderson_darling;
pub mod cramer_von_mises;
pub mod pca;
pub mod symmetric_eigen;
pub mod wasserstein;
