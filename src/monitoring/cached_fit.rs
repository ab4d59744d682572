//! A detector's fit through the fit cache: taken from `HISTORY.fit-NAME` when that file was
//! made on the same feature columns (every value, bit for bit) and the detector's settings,
//! else fitted and stored there. Only detectors whose fit costs measurable time keep a state
//! (`pca`: the scatter matrix and eigen decomposition over every feature); for the others this
//! is their plain fit.

use super::fit_cache::{FitCache, FitKey, KeyBuilder};
use crate::data::DataWindow;
use crate::drift::{DriftError, PreparedDetector};

/// Fits `detector` on `reference` by `fit`, or takes the fit from `cache`.
pub(super) fn fit_detector(
    detector: &mut dyn PreparedDetector,
    reference: &DataWindow,
    cache: Option<&FitCache>,
    fit: impl FnOnce(&mut dyn PreparedDetector) -> Result<(), DriftError>,
) -> Result<(), DriftError> {
    let key = cache
        .and(detector.fit_settings())
        .map(|settings| detector_key(detector.name(), &settings, reference));
    let (Some(cache), Some(key)) = (cache, key) else {
        return fit(detector);
    };
    if let Some(state) = cache.load_state(detector.name(), key) {
        if detector.restore_fitted(reference, state) {
            return Ok(());
        }
    }
    fit(detector)?;
    if let Some(state) = detector.fitted_state() {
        cache.store_state(detector.name(), key, &state);
    }
    Ok(())
}

/// What a detector's fit reads: its name and settings, and every feature column.
pub(super) fn detector_key(name: &str, settings: &str, reference: &DataWindow) -> FitKey {
    reference
        .features()
        .iter()
        .fold(
            KeyBuilder::new().text(name).text(settings),
            |key, column| key.column(column),
        )
        .finish()
}
