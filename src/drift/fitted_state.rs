//! A detector's fitted state as the monitor's fit cache keeps it (`HISTORY.fit-KIND`), so a
//! restart on the same reference and settings takes it instead of fitting again.
//!
//! Two parts: a small `head` in JSON (names, encodings, counts, thresholds) and the large float
//! arrays one after another in `floats`, which the cache writes as their bits: parsing
//! hundreds of thousands of floats from text would cost more than the fit it saves, and bits
//! come back exact whatever their value.

/// What a detector's fit computed, for a fit cache.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FittedState {
    /// The small part, as JSON.
    pub head: String,
    /// The large arrays, one after another (the head says how long each is).
    pub floats: Vec<f64>,
}
