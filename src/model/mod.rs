//! The model seam: anything that turns a window's features into predictions, and the linear
//! models `ml-monitor train` makes.
//!
//! The monitor needs predictions, not a particular learner, so it holds a `dyn Model`. Without a
//! model the window's prediction column is used. [`TrainedModel`] (logistic or linear regression
//! trained with linfa, saved as JSON) is the one this crate ships; its feature encoding
//! (`encoding.rs`) is shared with the classifier drift detector.

mod encoding;
mod linear;

pub(crate) use encoding::{EncodeError, FeatureEncoder};
pub(crate) use linear::write_atomically;
pub use linear::{train, TrainedModel};

use crate::config::Task;
use crate::data::DataWindow;

/// Why a model could not predict a window.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ModelError {
    #[error("the model needs feature \"{0}\", which the window does not have")]
    MissingFeature(String),
    #[error("feature \"{feature}\": {message}")]
    BadFeature { feature: String, message: String },
    #[error("model file {path}: {message}")]
    File { path: String, message: String },
    #[error("training failed: {0}")]
    Training(String),
}

/// A predictive model applied to windows.
pub trait Model: Send + Sync {
    /// One prediction per row: the probability of class 1 for classification, the value for
    /// regression.
    fn predict(&self, window: &DataWindow) -> Result<Vec<f64>, ModelError>;
    /// What it predicts.
    fn task(&self) -> Task;
    /// The features it reads, in order.
    fn feature_names(&self) -> &[String];
}
