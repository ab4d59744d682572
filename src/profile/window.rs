//! A profile's rows checked against the reference and gathered per feature: what the
//! evaluation reads.

use std::collections::HashMap;

use super::files::ProfileRow;
use super::reference::{ProfileReference, ReferenceFeature, FORMAT_VERSION};
use super::ProfileError;
use crate::stats::binned::CellSummary;

/// A numeric feature (or the prediction) in the window.
#[derive(Debug, Clone, Default)]
pub struct NumericCells {
    pub cells: Vec<CellSummary>,
    pub missing: u64,
    pub invalid: u64,
    /// Σv and Σv² (the prediction's: of `v − centre`).
    pub sum: f64,
    pub sum_squares: f64,
}

impl NumericCells {
    fn new(cells: usize) -> Self {
        NumericCells {
            cells: vec![
                CellSummary {
                    count: 0,
                    min: f64::NAN,
                    max: f64::NAN,
                };
                cells
            ],
            ..NumericCells::default()
        }
    }

    /// Values that are numbers.
    pub fn count(&self) -> u64 {
        self.cells.iter().map(|c| c.count).sum()
    }

    pub fn counts(&self) -> Vec<u64> {
        self.cells.iter().map(|c| c.count).collect()
    }

    pub fn min(&self) -> f64 {
        self.cells
            .iter()
            .filter(|c| c.count > 0)
            .map(|c| c.min)
            .fold(f64::INFINITY, f64::min)
    }

    pub fn max(&self) -> f64 {
        self.cells
            .iter()
            .filter(|c| c.count > 0)
            .map(|c| c.max)
            .fold(f64::NEG_INFINITY, f64::max)
    }
}

/// A categorical feature in the window.
#[derive(Debug, Clone, Default)]
pub struct CategoryCounts {
    /// Per reference category.
    pub counts: Vec<u64>,
    /// Values the reference never saw, and how many distinct ones.
    pub other: u64,
    pub other_distinct: u64,
    pub missing: u64,
}

/// One group of the classification arm.
#[derive(Debug, Clone)]
pub struct ClassGroup {
    pub target: f64,
    /// The prediction when it is an integer (a class label).
    pub label: Option<f64>,
    pub cell: usize,
    pub n: u64,
    pub non_integer: u64,
    pub loss: f64,
    pub min: f64,
    pub max: f64,
}

/// The regression arm.
#[derive(Debug, Clone, Copy, Default)]
pub struct RegressionSums {
    pub n: u64,
    pub squared_error: f64,
    pub absolute_error: f64,
    /// Σ(t − c), Σ(t − c)² with c the reference's target mean.
    pub target_sum: f64,
    pub target_sum_squares: f64,
    pub target_min: f64,
    pub target_max: f64,
}

/// Feature data by reference feature index.
#[derive(Debug, Clone)]
pub enum FeatureCells {
    Numeric(NumericCells),
    Categorical(CategoryCounts),
}

/// A window's profile, checked.
#[derive(Debug, Clone)]
pub struct WindowProfile {
    pub rows: u64,
    pub features: Vec<FeatureCells>,
    pub prediction: Option<NumericCells>,
    pub classes: Vec<ClassGroup>,
    pub regression: Option<RegressionSums>,
}

fn bad(message: String) -> ProfileError {
    ProfileError::Format(message)
}

fn count_of(row: &ProfileRow) -> Result<u64, ProfileError> {
    row.n
        .and_then(|n| u64::try_from(n).ok())
        .ok_or_else(|| bad(format!("part \"{}\": a row without a count", row.part)))
}

/// Adds a `num`/`pred` row into `cells`.
fn add_numeric(cells: &mut NumericCells, row: &ProfileRow, name: &str) -> Result<(), ProfileError> {
    let n = count_of(row)?;
    match row.k {
        Some(-1) => cells.missing += n,
        Some(-2) => cells.invalid += n,
        Some(k) => {
            let slot = usize::try_from(k)
                .ok()
                .and_then(|k| cells.cells.get_mut(k))
                .ok_or_else(|| {
                    bad(format!(
                        "\"{name}\": cell {k} is not on the reference's grid"
                    ))
                })?;
            slot.count += n;
            if n > 0 {
                let (lo, hi) = (row.c.unwrap_or(f64::NAN), row.d.unwrap_or(f64::NAN));
                slot.min = if slot.min.is_nan() {
                    lo
                } else {
                    slot.min.min(lo)
                };
                slot.max = if slot.max.is_nan() {
                    hi
                } else {
                    slot.max.max(hi)
                };
            }
            cells.sum += row.a.unwrap_or(0.0);
            cells.sum_squares += row.b.unwrap_or(0.0);
        }
        None => return Err(bad(format!("\"{name}\": a row without a cell"))),
    }
    Ok(())
}

impl WindowProfile {
    /// Gathers `rows`; an error when they were made for another reference or are malformed.
    pub fn from_rows(
        reference: &ProfileReference,
        rows: &[ProfileRow],
    ) -> Result<Self, ProfileError> {
        let index: HashMap<&str, usize> = reference
            .features
            .iter()
            .enumerate()
            .map(|(i, f)| (f.name(), i))
            .collect();
        let mut features: Vec<FeatureCells> = reference
            .features
            .iter()
            .map(|f| match f {
                ReferenceFeature::Numeric { grid, .. } => {
                    FeatureCells::Numeric(NumericCells::new(grid.len() + 1))
                }
                ReferenceFeature::Categorical { categories, .. } => {
                    FeatureCells::Categorical(CategoryCounts {
                        counts: vec![0; categories.len()],
                        ..CategoryCounts::default()
                    })
                }
            })
            .collect();
        let mut prediction = reference
            .prediction
            .as_ref()
            .map(|(_, grid)| NumericCells::new(grid.len() + 1));
        let mut classes = Vec::new();
        let mut regression = None;
        let mut meta: Option<u64> = None;
        for row in rows {
            let name = row.feature.as_deref().unwrap_or("");
            match row.part.as_str() {
                "meta" => {
                    if row.k != Some(FORMAT_VERSION) {
                        return Err(bad(format!(
                            "profile format {:?}, this monitor reads format {FORMAT_VERSION}",
                            row.k
                        )));
                    }
                    if name != reference.fingerprint {
                        return Err(ProfileError::ReferenceMismatch {
                            profile: name.to_string(),
                            reference: reference.fingerprint.clone(),
                        });
                    }
                    meta = Some(meta.unwrap_or(0) + count_of(row)?);
                }
                "num" | "cat" => {
                    let i = *index.get(name).ok_or_else(|| {
                        bad(format!("feature \"{name}\" is not in the reference"))
                    })?;
                    match (&mut features[i], row.part.as_str()) {
                        (FeatureCells::Numeric(cells), "num") => add_numeric(cells, row, name)?,
                        (FeatureCells::Categorical(cats), "cat") => {
                            let n = count_of(row)?;
                            let k = row
                                .k
                                .ok_or_else(|| bad(format!("\"{name}\": no category")))?;
                            if k == -1 {
                                cats.missing += n;
                            } else if k == cats.counts.len() as i64 {
                                cats.other += n;
                                cats.other_distinct += row.n2.unwrap_or(0).max(0) as u64;
                            } else {
                                let slot = usize::try_from(k)
                                    .ok()
                                    .and_then(|k| cats.counts.get_mut(k))
                                    .ok_or_else(|| {
                                        bad(format!("\"{name}\": category {k} unknown"))
                                    })?;
                                *slot += n;
                            }
                        }
                        _ => return Err(bad(format!("feature \"{name}\" has the wrong kind"))),
                    }
                }
                "pred" => {
                    let cells = prediction
                        .as_mut()
                        .ok_or_else(|| bad("predictions, but the reference has none".into()))?;
                    add_numeric(cells, row, name)?;
                }
                "cls" => {
                    let cells = reference
                        .prediction
                        .as_ref()
                        .map_or(0, |(_, g)| g.len() + 1);
                    let cell = row
                        .k
                        .and_then(|k| usize::try_from(k).ok())
                        .filter(|&k| k < cells)
                        .ok_or_else(|| bad("classification row off the prediction grid".into()))?;
                    classes.push(ClassGroup {
                        target: row
                            .a
                            .ok_or_else(|| bad("classification row without target".into()))?,
                        label: row.b,
                        cell,
                        n: count_of(row)?,
                        non_integer: row.n2.unwrap_or(0).max(0) as u64,
                        loss: row.c.unwrap_or(f64::NAN),
                        min: row.d.unwrap_or(f64::NAN),
                        max: row.e.unwrap_or(f64::NAN),
                    });
                }
                "reg" => {
                    let n = count_of(row)?;
                    regression = Some(RegressionSums {
                        n,
                        squared_error: row.a.unwrap_or(0.0),
                        absolute_error: row.b.unwrap_or(0.0),
                        target_sum: row.c.unwrap_or(0.0),
                        target_sum_squares: row.d.unwrap_or(0.0),
                        target_min: row.e.unwrap_or(f64::NAN),
                        target_max: row.f.unwrap_or(f64::NAN),
                    });
                }
                other => return Err(bad(format!("unknown part \"{other}\""))),
            }
        }
        let rows =
            meta.ok_or_else(|| bad("no \"meta\" row: not a profile made by profile-sql".into()))?;
        Ok(WindowProfile {
            rows,
            features,
            prediction,
            classes,
            regression,
        })
    }
}
