//! The pca fit as a [`FittedState`] for the monitor's fit cache: the encodings, counts and
//! z-test figures in the head, the standardisation and the PCA's basis (mean, kept and dropped
//! eigenvectors, explained-variance ratios) as floats. A state whose lengths do not add up is
//! refused, so the fit runs.

use serde::{Deserialize, Serialize};

use super::{ChunkThresholds, Encoding, Fitted, Model};
use crate::drift::FittedState;
use crate::stats::pca::Pca;

#[derive(Serialize, Deserialize)]
struct Head {
    features: Vec<(String, Encoding)>,
    components: usize,
    dropped: usize,
    chunks: Option<ChunkThresholds>,
    row_mean: f64,
    row_std: f64,
    rows: usize,
    reference_rows: usize,
}

/// `fitted` as a state; `None` when its head cannot be written (never in practice).
pub(super) fn state(fitted: &Fitted) -> Option<FittedState> {
    let model = &fitted.model;
    let pca = &model.pca;
    let head = Head {
        features: model.features.clone(),
        components: pca.components.len(),
        dropped: pca.dropped.len(),
        chunks: fitted.chunks.clone(),
        row_mean: fitted.row_mean,
        row_std: fitted.row_std,
        rows: fitted.rows,
        reference_rows: fitted.reference_rows,
    };
    let mut floats = Vec::new();
    floats.extend(&model.centre);
    floats.extend(&model.scale);
    floats.extend(&pca.mean);
    floats.extend(&pca.explained_variance_ratio);
    floats.extend(pca.components.iter().flatten());
    floats.extend(pca.dropped.iter().flatten());
    Some(FittedState {
        head: serde_json::to_string(&head).ok()?,
        floats,
    })
}

/// The fit `state` holds, if it is whole and was made on a reference of `reference_rows`.
pub(super) fn restore(state: FittedState, reference_rows: usize) -> Option<Fitted> {
    let head: Head = serde_json::from_str(&state.head).ok()?;
    let d = head.features.len();
    let vectors = head.components.checked_add(head.dropped)?;
    let expected = d.checked_mul(vectors.checked_add(4)?)?;
    if head.reference_rows != reference_rows || state.floats.len() != expected {
        return None;
    }
    let mut floats = state.floats.into_iter();
    let mut take = |n: usize| -> Vec<f64> { floats.by_ref().take(n).collect() };
    let (centre, scale, mean, explained_variance_ratio) = (take(d), take(d), take(d), take(d));
    let components = (0..head.components).map(|_| take(d)).collect();
    let dropped = (0..head.dropped).map(|_| take(d)).collect();
    Some(Fitted {
        model: Model {
            features: head.features,
            centre,
            scale,
            pca: Pca {
                mean,
                components,
                dropped,
                explained_variance_ratio,
            },
        },
        chunks: head.chunks,
        row_mean: head.row_mean,
        row_std: head.row_std,
        rows: head.rows,
        reference_rows: head.reference_rows,
    })
}
