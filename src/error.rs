//! The error every layer of the binary may return when the user asked for something that cannot
//! be done (bad config, missing reference flag). It sits at the bottom so that the plan, the
//! services and the run layer can all say "usage" without importing each other; `main` maps it
//! to exit status 2.

/// A usage problem (bad config, missing reference flag): exit status 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct UsageError(pub String);
