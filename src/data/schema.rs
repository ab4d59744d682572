//! Column roles and the schema the reference fixes for every later window.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Which columns are the prediction, the target and the features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ColumnRoles {
    /// Name of the model-output column.
    pub prediction: String,
    /// Name of the true-label column.
    pub target: String,
    /// Features to monitor; empty means every column that is not the prediction or the target.
    pub features: Vec<String>,
    /// Columns never treated as features (ids, timestamps).
    pub exclude: Vec<String>,
    /// The model's predicted label (0/1), when the data has it: performance estimation uses it
    /// instead of score >= `[estimation] decision_threshold`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub predicted_label: Option<String>,
    /// A multiclass model's probability column per class (class label → column): the target
    /// and the predicted label then hold class labels, and performance is estimated by
    /// multiclass CBPE.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub class_probabilities: BTreeMap<String, String>,
    /// The row id that late labels are joined by (`*.labels.csv` files); never a feature.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

impl Default for ColumnRoles {
    fn default() -> Self {
        ColumnRoles {
            prediction: "prediction".into(),
            target: "target".into(),
            features: Vec::new(),
            exclude: Vec::new(),
            predicted_label: None,
            class_probabilities: BTreeMap::new(),
            id: None,
        }
    }
}

impl ColumnRoles {
    /// Whether a header name is a feature under these roles.
    pub(crate) fn is_feature(&self, name: &str) -> bool {
        if name == self.prediction
            || name == self.target
            || self.predicted_label.as_deref() == Some(name)
            || self.class_probabilities.values().any(|c| c == name)
            || self.exclude.iter().any(|e| e == name)
            || self.id.as_deref() == Some(name)
        {
            return false;
        }
        self.features.is_empty() || self.features.iter().any(|f| f == name)
    }
}

/// A feature's type, fixed by the reference: numeric when every non-missing reference cell
/// parses as a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FeatureKind {
    Numeric,
    Categorical,
}

/// One feature of the schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeatureSpec {
    pub name: String,
    pub kind: FeatureKind,
}

/// What the reference fixed: the features in order with their kinds, and the role columns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schema {
    pub features: Vec<FeatureSpec>,
    pub prediction: String,
    pub target: String,
    /// Whether the reference had a prediction column.
    pub has_prediction: bool,
    /// Whether the reference had a target column.
    pub has_target: bool,
    /// The predicted-label column (`[columns] predicted_label`), when configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predicted_label: Option<String>,
    /// The class-probability columns (`[columns] class_probabilities`), when configured; the
    /// target and predicted label are then read as labels (text).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub class_probabilities: BTreeMap<String, String>,
    /// Numeric columns the reference read from dates or times (seconds since the epoch): only
    /// these take a date or time in a window; elsewhere one is a `type_mismatch`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub temporal: Vec<String>,
    /// The row-id column (`[columns] id`), when configured: read with each window so its
    /// predictions can be joined with labels that arrive later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

impl Schema {
    /// The feature spec with this name.
    pub fn feature(&self, name: &str) -> Option<&FeatureSpec> {
        self.features.iter().find(|f| f.name == name)
    }

    /// Names of the features, in schema order.
    pub fn feature_names(&self) -> impl Iterator<Item = &str> {
        self.features.iter().map(|f| f.name.as_str())
    }
}
