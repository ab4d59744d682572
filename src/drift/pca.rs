//! Multivariate drift by PCA reconstruction error (`pca`), as NannyML 0.13's
//! `DataReconstructionDriftCalculator` computes it.
//!
//! Fit on the reference: impute missing numbers with the column mean and missing categories
//! with the most frequent one (the smallest on a tie), encode each category by its relative
//! frequency in the (imputed) reference (a category the reference never saw encodes as 0),
//! standardise (population std; a constant column is only centred), and fit a PCA keeping the
//! fewest components whose explained variance exceeds `explained_variance`. A window's figure is
//! the mean Euclidean distance between its standardised rows and their reconstructions; drift
//! is that mean outside mean ± 3 std (ddof 0) of the same figure over the reference cut into
//! `reference_chunks` chunks (NannyML's count-based chunker: chunks of ⌊n / k⌋ rows and a last
//! one of the remainder). A lower threshold ≤ 0 is dropped, as NannyML does.
//!
//! Those are the `thresholds = "chunks"` figures. NannyML's thresholds fit windows of the chunks'
//! size (a tenth of the reference): a larger window's figure varies less and they are too wide,
//! a smaller window's varies more and they alarm on clean data. `thresholds = "window"` (the
//! default, a deviation from NannyML) fits on every other reference row and tests the window's
//! mean against the other half's errors (see `split`: the fitted rows' own errors are biased
//! low) by a z-test of spread σ·√(1/n + 1/N) — σ the held-out errors' std (ddof 1), N the
//! held-out rows and n the window's: the spread of the difference of the two means, so every
//! window size alarms on clean data as rarely. Its p-value joins the window's correction with
//! the statistical tests' (`stage`), and the thresholds shown are the corrected critical values.
//!
//! References NannyML cannot fit still fit, since `pca` is a default detector and a failed fit
//! would stop the monitor: numbers are read in power-of-two units (exact) so `1e308` cannot
//! overflow a variance; a constant or one-row reference keeps no component (a row's error is its
//! distance from the reference's values); with no feature holding a value, windows are
//! `insufficient_data`.
//!
//! Joint changes — a correlation that breaks while every marginal stays put — move this figure
//! and no per-feature test.
//!
//! Rows are encoded into one flat row-major buffer and their errors computed in parallel: the
//! cost is O(n·d·k) per window, without an allocation per row.

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal};
use statrs::function::erf::erfc;

use super::{
    ColumnUse, Confirmation, DriftDetector, DriftError, DriftResult, FittedState, Prepared,
    PreparedDetector,
};
use crate::config::{Correction, PcaConfig, PcaThresholds, StatisticalConfig};
use crate::data::{ColumnData, DataWindow, MISSING_CODE};
use crate::stats::pca::Pca;

mod cached;
mod split;

use split::Rows;

/// The figures of one window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PcaFigures {
    /// Mean reconstruction error of the window's rows (`null` in JSON when a huge value made
    /// it overflow; such a window is outside any threshold).
    #[serde(deserialize_with = "crate::stats::nonfinite::f64_or_null")]
    pub reconstruction_error: f64,
    /// Its standard error: std (ddof 1) over √rows; null for a single row.
    pub sampling_error: Option<f64>,
    /// The thresholds that decided; null when there is none on that side.
    pub lower_threshold: Option<f64>,
    pub upper_threshold: Option<f64>,
    /// Principal components kept.
    pub components: usize,
    /// `thresholds = "window"` only: the two-sided normal p-value of the window's mean against
    /// the reference rows' (`z = (error − mean) / (σ·√(1/n + 1/N))`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p_value: Option<f64>,
    /// `thresholds = "window"` only: that p-value after the window's correction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p_value_adjusted: Option<f64>,
    /// The relative rise of the mean error over the reference rows' (`error / mean − 1`):
    /// paging needs it above `[paging] min_error_rise`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effect: Option<f64>,
    /// The z-test's raw p-value under either thresholds, for the page policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paging_p_value: Option<f64>,
}

/// A window's figures before its verdict.
#[derive(Debug, Clone)]
struct Measured {
    rows: usize,
    value: f64,
    sampling_error: Option<f64>,
    /// Window thresholds: the z-test's p-value.
    p_value: Option<f64>,
    /// The z-test's p-value and the relative rise, whatever the thresholds.
    paging_p_value: f64,
    effect: Option<f64>,
}

/// How one feature becomes a number.
#[derive(Debug, Clone, Serialize, Deserialize)]
enum Encoding {
    /// Values are read in units of `unit`, the power of two at or below the reference's
    /// largest magnitude (see [`unit_of`]); `fill` is the reference's mean in those units.
    Numeric { fill: f64, unit: f64 },
    Categorical {
        frequency: BTreeMap<String, f64>,
        fill: String,
    },
}

impl Encoding {
    /// The units its values are read in (frequencies: their own).
    fn unit(&self) -> f64 {
        match self {
            Encoding::Numeric { unit, .. } => *unit,
            Encoding::Categorical { .. } => 1.0,
        }
    }
}

#[derive(Debug, Clone)]
struct Fitted {
    model: Model,
    /// `thresholds = "chunks"` only: NannyML's thresholds.
    chunks: Option<ChunkThresholds>,
    /// Mean and std (ddof 1) of the z-test's basis errors (the held-out half's under
    /// `thresholds = "window"`), and their rows.
    row_mean: f64,
    row_std: f64,
    rows: usize,
    /// Rows of the whole reference: below `min_sample_size`, every window is
    /// `insufficient_data`, as for the other detectors.
    reference_rows: usize,
}

/// The `pca` detector.
#[derive(Debug, Clone)]
pub struct PcaDriftDetector {
    config: PcaConfig,
    alpha: f64,
    correction: Correction,
    fitted: Option<Fitted>,
    confirmation: Confirmation,
    /// A window between [`PreparedDetector::stage`] and [`PreparedDetector::finish_staged`]
    /// (`None` inside: too few rows).
    staged: Option<Option<Measured>>,
    /// A window measured by [`PreparedDetector::read_rows`], before its columns were sorted.
    read: Option<Result<Option<Measured>, DriftError>>,
}

impl PcaDriftDetector {
    /// A detector with these settings; `Err` for settings out of range (as the monitor checks
    /// `[drift.pca]`).
    pub fn new(config: PcaConfig) -> Result<Self, DriftError> {
        config
            .validate()
            .map_err(|e| DriftError::InvalidConfig(e.to_string()))?;
        let confirmation = Confirmation::new(config.confirmation_windows);
        let test = StatisticalConfig::default();
        Ok(PcaDriftDetector {
            config,
            alpha: test.alpha,
            correction: test.correction,
            fitted: None,
            confirmation,
            staged: None,
            read: None,
        })
    }

    /// The significance level and correction of the z-test under `thresholds = "window"`
    /// (the statistical detectors' `alpha` and `correction`; their defaults unless set);
    /// `Err` for an `alpha` outside (0, 1).
    pub fn with_test(mut self, alpha: f64, correction: Correction) -> Result<Self, DriftError> {
        if !(alpha.is_finite() && alpha > 0.0 && alpha < 1.0) {
            return Err(DriftError::InvalidConfig(format!(
                "drift.statistical.alpha = {alpha}: must be in (0, 1)"
            )));
        }
        self.alpha = alpha;
        self.correction = correction;
        Ok(self)
    }

    /// The reference chunks' mean reconstruction errors (the thresholds' basis), once fitted
    /// under `thresholds = "chunks"`.
    pub fn reference_chunk_values(&self) -> Option<&[f64]> {
        self.fitted
            .as_ref()
            .and_then(|f| f.chunks.as_ref())
            .map(|c| c.values.as_slice())
    }
}

/// Rows per block of the parallel encoding and scoring: a block (a few hundred KiB for tens of
/// features) stays in cache while every column is written into it, and a reference half of
/// 1,000 rows still keeps both cores busy.
const BLOCK_ROWS: usize = 256;

/// Where one feature's encoded values come from.
enum Source<'a> {
    Numeric {
        values: &'a [f64],
        fill: f64,
        /// `1 / unit`: a power of two, so scaling by it is exact.
        per_unit: f64,
    },
    Codes {
        codes: &'a [u32],
        by_code: Vec<f64>,
        fill: f64,
    },
}

impl Source<'_> {
    fn value(&self, i: usize) -> f64 {
        match self {
            Source::Numeric {
                values,
                fill,
                per_unit,
            } => match values.get(i) {
                Some(v) if !v.is_nan() => v * per_unit,
                _ => *fill,
            },
            Source::Codes {
                codes,
                by_code,
                fill,
            } => match codes.get(i) {
                Some(&c) if c != MISSING_CODE => by_code.get(c as usize).copied().unwrap_or(0.0),
                _ => *fill,
            },
        }
    }
}

/// Where each of `features` comes from in `window`.
fn sources<'a>(
    window: &'a DataWindow,
    features: &[(String, Encoding)],
) -> Result<Vec<Source<'a>>, DriftError> {
    let mut sources = Vec::with_capacity(features.len());
    for (name, encoding) in features {
        let column = window
            .features()
            .iter()
            .find(|c| &c.name == name)
            .ok_or_else(|| DriftError::MissingFeature(name.clone()))?;
        sources.push(match (encoding, &column.data) {
            (Encoding::Numeric { fill, unit }, ColumnData::Numeric(values)) => Source::Numeric {
                values,
                fill: *fill,
                per_unit: 1.0 / unit,
            },
            (
                Encoding::Categorical { frequency, fill },
                ColumnData::Categorical { codes, dictionary },
            ) => Source::Codes {
                codes,
                by_code: dictionary
                    .iter()
                    .map(|d| frequency.get(d).copied().unwrap_or(0.0))
                    .collect(),
                fill: frequency.get(fill).copied().unwrap_or(0.0),
            },
            (Encoding::Numeric { .. }, _) => {
                return Err(DriftError::KindMismatch {
                    feature: name.clone(),
                    expected: "numeric",
                    found: "categorical",
                })
            }
            (Encoding::Categorical { .. }, _) => {
                return Err(DriftError::KindMismatch {
                    feature: name.clone(),
                    expected: "categorical",
                    found: "numeric",
                })
            }
        });
    }
    Ok(sources)
}

/// Writes the selected rows `first..` of `rows` (as many as `block` holds, `d` values each),
/// imputed, frequency-encoded and standardised, into `block`.
fn encode_block(
    sources: &[Source<'_>],
    rows: Rows,
    first: usize,
    centre: &[f64],
    scale: &[f64],
    block: &mut [f64],
) {
    let d = sources.len();
    for (j, source) in sources.iter().enumerate() {
        let (c, s) = (
            centre.get(j).copied().unwrap_or(0.0),
            scale.get(j).copied().unwrap_or(1.0),
        );
        for (i, row) in block.chunks_exact_mut(d).enumerate() {
            row[j] = (source.value(rows.row(first + i)) - c) / s;
        }
    }
}

/// Encodes the selected rows of a window (imputed, frequency-encoded, standardised) into one
/// row-major buffer of `features.len()` values per row, in parallel blocks of rows.
fn standardised_rows(
    window: &DataWindow,
    rows: Rows,
    features: &[(String, Encoding)],
    centre: &[f64],
    scale: &[f64],
) -> Result<Vec<f64>, DriftError> {
    let d = features.len();
    let sources = sources(window, features)?;
    let mut out = vec![0.0; rows.count * d];
    if d == 0 {
        return Ok(out);
    }
    out.par_chunks_mut(BLOCK_ROWS * d)
        .enumerate()
        .for_each(|(b, block)| encode_block(&sources, rows, b * BLOCK_ROWS, centre, scale, block));
    Ok(out)
}

/// The power of two at or below the largest magnitude of `values` (finite), or 1 for none.
///
/// Numbers are read in these units: the means, variances and standardised values of a column
/// holding `1e308` then stay finite. Scaling by a power of two is exact, so every figure equals
/// the one computed in the data's own units wherever that one does not overflow.
fn unit_of(values: impl Iterator<Item = f64>) -> f64 {
    let largest = values.fold(0.0f64, |m, v| m.max(v.abs()));
    if largest.is_normal() {
        f64::from_bits(largest.to_bits() & 0x7ff0_0000_0000_0000)
    } else {
        1.0
    }
}

/// The reconstruction error of each selected row of `window`, encoded block by block in
/// parallel (never the whole window at once: that would be a second copy of it in memory).
/// Each row's error is the one [`row_errors`] gives for it.
fn window_errors(model: &Model, window: &DataWindow, rows: Rows) -> Result<Vec<f64>, DriftError> {
    let d = model.features.len();
    let sources = sources(window, &model.features)?;
    let mut errors = vec![0.0; rows.count];
    if d == 0 {
        return Ok(errors);
    }
    let pca = model.pca.projector();
    errors
        .par_chunks_mut(BLOCK_ROWS)
        .enumerate()
        .for_each(|(b, out)| {
            let mut block = vec![0.0; out.len() * d];
            encode_block(
                &sources,
                rows,
                b * BLOCK_ROWS,
                &model.centre,
                &model.scale,
                &mut block,
            );
            pca.errors(&block, out, &mut Vec::new());
        });
    Ok(errors)
}

/// Every row's reconstruction error (`d` values per row), computed in parallel.
fn row_errors(pca: &Pca, rows: &[f64], d: usize) -> Vec<f64> {
    let pca = pca.projector();
    let mut errors = vec![0.0; rows.len() / d.max(1)];
    errors
        .par_chunks_mut(BLOCK_ROWS)
        .zip(rows.par_chunks(d.max(1) * BLOCK_ROWS))
        .for_each(|(out, block)| pca.errors(block, out, &mut Vec::new()));
    errors
}

/// Mean and sampling error (std ddof 1 over √n; `None` for one value) of errors.
fn chunk_figures(errors: &[f64]) -> (f64, Option<f64>) {
    let n = errors.len() as f64;
    let mean = errors.iter().sum::<f64>() / n;
    let sampling = (errors.len() > 1).then(|| {
        let var = errors.iter().map(|e| (e - mean) * (e - mean)).sum::<f64>() / (n - 1.0);
        var.sqrt() / n.sqrt()
    });
    (mean, sampling)
}

/// NannyML's count-based chunks: ⌊n / k⌋ rows each, and a last chunk of the remainder.
fn chunk_ranges(n: usize, k: usize) -> Vec<std::ops::Range<usize>> {
    let size = (n / k.max(1)).max(1);
    let mut ranges: Vec<_> = (0..n / size).map(|i| i * size..(i + 1) * size).collect();
    if !n.is_multiple_of(size) {
        ranges.push(size * (n / size)..n);
    }
    ranges
}

/// What a fit learns: the encodings, the standardisation and the PCA.
#[derive(Debug, Clone)]
struct Model {
    features: Vec<(String, Encoding)>,
    centre: Vec<f64>,
    scale: Vec<f64>,
    pca: Pca,
}

impl Model {
    /// Fits on the selected rows of `reference`; also returns them standardised (row-major).
    fn fit(
        reference: &DataWindow,
        rows: Rows,
        share: f64,
    ) -> Result<(Model, Vec<f64>), DriftError> {
        let n = rows.count;
        let mut features = Vec::new();
        for column in reference.features() {
            let encoding = match &column.data {
                ColumnData::Numeric(values) => {
                    let present = || rows.of(values).filter(|v| !v.is_nan());
                    let count = present().count();
                    if count == 0 {
                        // scikit-learn's imputer drops a column with no value; so do we.
                        continue;
                    }
                    let unit = unit_of(present());
                    Encoding::Numeric {
                        fill: present().map(|v| v / unit).sum::<f64>() / count as f64,
                        unit,
                    }
                }
                ColumnData::Categorical { codes, dictionary } => {
                    let mut counts = vec![0u64; dictionary.len()];
                    let mut missing = 0u64;
                    for c in rows.of(codes) {
                        match counts.get_mut(c as usize) {
                            Some(slot) if c != MISSING_CODE => *slot += 1,
                            _ => missing += 1,
                        }
                    }
                    // Most frequent, the smallest on a tie.
                    let Some(fill) = dictionary
                        .iter()
                        .zip(&counts)
                        .filter(|(_, &c)| c > 0)
                        .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
                        .map(|(d, _)| d.clone())
                    else {
                        continue;
                    };
                    let mut frequency: BTreeMap<String, f64> = BTreeMap::new();
                    for (d, &c) in dictionary.iter().zip(&counts) {
                        let c = c + if *d == fill { missing } else { 0 };
                        if c > 0 {
                            *frequency.entry(d.clone()).or_insert(0.0) += c as f64 / n as f64;
                        }
                    }
                    Encoding::Categorical { frequency, fill }
                }
            };
            features.push((column.name.clone(), encoding));
        }
        let d = features.len();
        let mut rows = standardised_rows(reference, rows, &features, &vec![0.0; d], &vec![1.0; d])?;
        let nf = n as f64;
        let mut centre = vec![0.0; d];
        for row in rows.chunks_exact(d.max(1)) {
            for (c, v) in centre.iter_mut().zip(row) {
                *c += v;
            }
        }
        centre.iter_mut().for_each(|c| *c /= nf);
        let mut var = vec![0.0; d];
        for row in rows.chunks_exact(d.max(1)) {
            for ((s, v), c) in var.iter_mut().zip(row).zip(&centre) {
                *s += (v - c) * (v - c);
            }
        }
        // The constant-column rule is on the std in the data's own units: such a column keeps
        // a scale of 1 there.
        let scale: Vec<f64> = var
            .iter()
            .zip(&features)
            .map(|(v, (_, encoding))| {
                let unit = encoding.unit();
                let s = (v / nf).sqrt();
                if s * unit < 10.0 * f64::EPSILON {
                    1.0 / unit
                } else {
                    s
                }
            })
            .collect();
        for row in rows.chunks_exact_mut(d.max(1)) {
            for ((v, c), s) in row.iter_mut().zip(&centre).zip(&scale) {
                *v = (*v - c) / s;
            }
        }
        // No feature with a value: a model of nothing, whose windows are insufficient_data.
        let pca = if d == 0 {
            Pca::without_components(Vec::new())
        } else {
            Pca::fit_flat(&rows, d, share)
                .ok_or_else(|| DriftError::Pca("the reference has no rows to fit".into()))?
        };
        let model = Model {
            features,
            centre,
            scale,
            pca,
        };
        Ok((model, rows))
    }
}

/// NannyML's thresholds: mean ± 3 std (ddof 0) of the reference chunks' mean errors, a lower
/// bound ≤ 0 dropped.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct ChunkThresholds {
    lower: Option<f64>,
    upper: Option<f64>,
    values: Vec<f64>,
}

impl ChunkThresholds {
    /// From the fitted reference rows' own errors, cut into `chunks` chunks.
    fn of(errors: &[f64], chunks: usize) -> ChunkThresholds {
        let values: Vec<f64> = chunk_ranges(errors.len(), chunks)
            .into_iter()
            .map(|r| chunk_figures(&errors[r]).0)
            .collect();
        let k = values.len() as f64;
        let mean = values.iter().sum::<f64>() / k;
        let std = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / k).sqrt();
        let lower = mean - 3.0 * std;
        ChunkThresholds {
            lower: (lower > 0.0).then_some(lower),
            upper: Some(mean + 3.0 * std),
            values,
        }
    }
}

impl Fitted {
    /// The fit, with the z-test's basis errors (the held-out half's under `window`).
    fn new(model: Model, basis: &[f64], chunks: Option<ChunkThresholds>) -> Fitted {
        let (row_mean, sampling) = chunk_figures(basis);
        Fitted {
            model,
            chunks,
            row_mean,
            row_std: sampling.map_or(0.0, |s| s * (basis.len() as f64).sqrt()),
            rows: basis.len(),
            reference_rows: 0,
        }
    }

    /// The spread of a window of `n` rows' mean error about the reference's:
    /// σ·√(1/n + 1/N).
    fn spread(&self, n: usize) -> f64 {
        self.row_std * (1.0 / n.max(1) as f64 + 1.0 / self.rows.max(1) as f64).sqrt()
    }

    /// The two-sided normal p-value of a window's mean error `value` over `n` rows.
    fn p_value(&self, value: f64, n: usize) -> f64 {
        let distance = (value - self.row_mean).abs();
        let spread = self.spread(n);
        // Rows that all reconstruct alike: only a different figure is a difference.
        if spread <= 0.0 || !spread.is_finite() {
            let same = distance <= 1e-12 * self.row_mean.abs().max(1.0);
            return if same { 1.0 } else { 0.0 };
        }
        erfc(distance / spread / std::f64::consts::SQRT_2)
    }

    /// mean ± z·spread, a lower bound ≤ 0 dropped as NannyML does.
    fn bounds(&self, z: f64, n: usize) -> (Option<f64>, Option<f64>) {
        let spread = z * self.spread(n);
        let lower = self.row_mean - spread;
        ((lower > 0.0).then_some(lower), Some(self.row_mean + spread))
    }
}

/// The z at which a p-value corrected over `tests` p-values reaches `alpha`: Bonferroni's
/// `Φ⁻¹(1 − alpha / 2m)` (also shown under `fdr`, whose bound for a test lies between it and
/// `correction = "none"`'s `Φ⁻¹(1 − alpha / 2)`).
fn critical_z(alpha: f64, correction: Correction, tests: usize) -> f64 {
    let m = match correction {
        Correction::None => 1.0,
        Correction::Bonferroni | Correction::Fdr => tests.max(1) as f64,
    };
    let q = (1.0 - alpha / (2.0 * m)).clamp(0.5, 1.0 - 1e-16);
    Normal::new(0.0, 1.0).map_or(3.0, |n| n.inverse_cdf(q))
}

/// Reads rows in order (values of one row across features), but only before anything else:
/// the reference's in `fit`, a window's in `read_rows`. Under `thresholds = "window"` its
/// z-test joins the window's correction.
impl PreparedDetector for PcaDriftDetector {
    fn column_use(&self) -> ColumnUse {
        ColumnUse::RowsFirst
    }

    fn read_rows(&mut self, current: &DataWindow) {
        self.read = Some(self.measure(current));
    }

    fn fit_settings(&self) -> Option<String> {
        serde_json::to_string(&self.config).ok()
    }

    fn fitted_state(&self) -> Option<FittedState> {
        cached::state(self.fitted.as_ref()?)
    }

    fn restore_fitted(&mut self, reference: &DataWindow, state: FittedState) -> bool {
        let Some(fitted) = cached::restore(state, reference.rows()) else {
            return false;
        };
        self.fitted = Some(fitted);
        self.read = None;
        self.confirmation.reset();
        true
    }

    fn detect_prepared(&mut self, current: &Prepared<'_>) -> Result<DriftResult, DriftError> {
        let measured = self.measured(current)?;
        let p = measured.as_ref().and_then(|m| m.p_value);
        self.decide(measured, p, 1)
    }

    fn stage(&mut self, current: &Prepared<'_>) -> Result<Option<Vec<Option<f64>>>, DriftError> {
        if self.config.thresholds != PcaThresholds::Window {
            return Ok(None);
        }
        let measured = self.measured(current)?;
        let p = measured.as_ref().and_then(|m| m.p_value);
        self.staged = Some(measured);
        Ok(Some(vec![p]))
    }

    fn finish_staged(
        &mut self,
        adjusted: &[Option<f64>],
        tests: usize,
    ) -> Result<DriftResult, DriftError> {
        let measured = self.staged.take().ok_or(DriftError::NotFitted)?;
        let adjusted = adjusted.first().copied().flatten();
        self.decide(measured, adjusted, tests)
    }
}

impl PcaDriftDetector {
    /// The window's figures as `read_rows` measured them, or else measured now.
    fn measured(&mut self, current: &Prepared<'_>) -> Result<Option<Measured>, DriftError> {
        match self.read.take() {
            Some(read) => read,
            None => self.measure(current.window()),
        }
    }

    /// The window's figures; `None` when it or the reference has fewer rows than
    /// `min_sample_size`.
    fn measure(&self, current: &DataWindow) -> Result<Option<Measured>, DriftError> {
        let fitted = self.fitted.as_ref().ok_or(DriftError::NotFitted)?;
        // The window's columns must all be there, whatever its size.
        sources(current, &fitted.model.features)?;
        let n = current.rows();
        let min = self.config.min_sample_size.max(1);
        if n < min || fitted.reference_rows < min || fitted.model.features.is_empty() {
            return Ok(None);
        }
        let errors = window_errors(&fitted.model, current, Rows::all(n))?;
        let (value, sampling_error) = chunk_figures(&errors);
        let paging_p_value = fitted.p_value(value, n);
        let p_value = (self.config.thresholds == PcaThresholds::Window).then_some(paging_p_value);
        let effect =
            (fitted.row_mean > 0.0 && value.is_finite()).then(|| value / fitted.row_mean - 1.0);
        Ok(Some(Measured {
            rows: n,
            value,
            sampling_error,
            p_value,
            paging_p_value,
            effect,
        }))
    }

    /// The verdict on measured figures: the chunks' thresholds, or the z-test's corrected
    /// p-value (over `tests` p-values) against `alpha`.
    fn decide(
        &mut self,
        measured: Option<Measured>,
        p_adjusted: Option<f64>,
        tests: usize,
    ) -> Result<DriftResult, DriftError> {
        let fitted = self.fitted.as_ref().ok_or(DriftError::NotFitted)?;
        let n_features = fitted.model.features.len();
        let Some(m) = measured else {
            self.confirmation.observe(false);
            return Ok(DriftResult {
                drift_detected: false,
                drift_score: 0.0,
                window_drift: false,
                n_features,
                n_drifted: 0,
                features: Default::default(),
                auc: None,
                feature_importances: None,
                status: Some(super::FeatureStatus::InsufficientData),
                pca: None,
            });
        };
        let (lower, upper, window_drift) = match self.config.thresholds {
            PcaThresholds::Chunks => {
                let (lower, upper) = fitted
                    .chunks
                    .as_ref()
                    .map_or((None, None), |c| (c.lower, c.upper));
                let below = lower.is_some_and(|l| m.value <= l);
                let above = upper.is_some_and(|u| m.value >= u);
                (lower, upper, below || above)
            }
            PcaThresholds::Window => {
                let z = critical_z(self.alpha, self.correction, tests);
                let (lower, upper) = fitted.bounds(z, m.rows);
                (lower, upper, p_adjusted.is_some_and(|p| p < self.alpha))
            }
        };
        let drift_detected = self.confirmation.observe(window_drift);
        let shown = |p: Option<f64>| match self.config.thresholds {
            PcaThresholds::Window => p,
            PcaThresholds::Chunks => None,
        };
        Ok(DriftResult {
            drift_detected,
            drift_score: m.value,
            window_drift,
            n_features,
            n_drifted: 0,
            features: Default::default(),
            auc: None,
            feature_importances: None,
            status: None,
            pca: Some(PcaFigures {
                reconstruction_error: m.value,
                sampling_error: m.sampling_error,
                lower_threshold: lower,
                upper_threshold: upper,
                components: fitted.model.pca.components.len(),
                p_value: shown(m.p_value),
                p_value_adjusted: shown(p_adjusted),
                effect: m.effect,
                paging_p_value: Some(m.paging_p_value),
            }),
        })
    }
}

impl DriftDetector for PcaDriftDetector {
    fn name(&self) -> &str {
        "pca"
    }

    fn fit(&mut self, reference: &DataWindow) -> Result<(), DriftError> {
        if reference.rows() == 0 {
            return Err(DriftError::EmptyReference);
        }
        let share = self.config.explained_variance;
        let fitted = match (self.config.thresholds, split::halves(reference.rows())) {
            (PcaThresholds::Window, Some((fit_half, held_out))) => {
                // Fitted on one half, its z-test's basis from the other (see `split`).
                let (model, _) = Model::fit(reference, fit_half, share)?;
                let basis = window_errors(&model, reference, held_out)?;
                Fitted::new(model, &basis, None)
            }
            (thresholds, _) => {
                let (model, rows) = Model::fit(reference, Rows::all(reference.rows()), share)?;
                let errors = row_errors(&model.pca, &rows, model.features.len());
                let chunks = (thresholds == PcaThresholds::Chunks)
                    .then(|| ChunkThresholds::of(&errors, self.config.reference_chunks));
                Fitted::new(model, &errors, chunks)
            }
        };
        self.fitted = Some(Fitted {
            reference_rows: reference.rows(),
            ..fitted
        });
        self.read = None;
        self.confirmation.reset();
        Ok(())
    }

    fn detect(&mut self, current: &DataWindow) -> Result<DriftResult, DriftError> {
        // Alone, the z-test is a family of one.
        let measured = self.measure(current)?;
        let p = measured.as_ref().and_then(|m| m.p_value);
        self.decide(measured, p, 1)
    }
}

#[cfg(test)]
mod tests {
    use super::chunk_ranges;
    use super::{Correction, DriftError, PcaConfig, PcaDriftDetector};

    #[test]
    fn new_and_with_test_reject_settings_out_of_range() {
        let wide = PcaConfig {
            explained_variance: 1.5,
            ..PcaConfig::default()
        };
        match PcaDriftDetector::new(wide) {
            Err(DriftError::InvalidConfig(message)) => {
                assert!(
                    message.contains("drift.pca.explained_variance"),
                    "{message}"
                )
            }
            Err(other) => panic!("{other}"),
            Ok(_) => panic!("explained_variance 1.5 was taken"),
        }
        let detector = PcaDriftDetector::new(PcaConfig::default()).expect("default settings");
        match detector.with_test(2.0, Correction::Bonferroni) {
            Err(DriftError::InvalidConfig(message)) => {
                assert!(message.contains("alpha"), "{message}")
            }
            Err(other) => panic!("{other}"),
            Ok(_) => panic!("alpha 2.0 was taken"),
        }
    }

    #[test]
    fn chunks_keep_the_remainder_apart() {
        assert_eq!(chunk_ranges(1003, 10).len(), 11);
        assert_eq!(chunk_ranges(1003, 10).last(), Some(&(1000..1003)));
        assert_eq!(chunk_ranges(1000, 10).len(), 10);
        assert_eq!(chunk_ranges(5, 10).len(), 5);
    }
}
