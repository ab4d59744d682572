//! Figures that may not be finite, through JSON and back.
//!
//! JSON has no infinity or NaN, so serde_json writes a non-finite `f64` as `null`. A window with
//! one huge value (`1e200`) can overflow a standard deviation, an MSE or an R² to infinity; its
//! result must still be printed, stored and read back, never refused. So every required figure
//! of a result reads `null` back as NaN ("not a finite number"): the JSON stays valid and the
//! window is kept. Optional figures need nothing: `null` reads back as `None`.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};

/// A required figure: a number, or `null` for one that was not finite (read back as NaN).
pub(crate) fn f64_or_null<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

/// An optional map of figures whose values may be `null` (read back as NaN).
pub(crate) fn map_or_null<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<BTreeMap<String, f64>>, D::Error> {
    let map = Option::<BTreeMap<String, Option<f64>>>::deserialize(d)?;
    Ok(map.map(|m| {
        m.into_iter()
            .map(|(k, v)| (k, v.unwrap_or(f64::NAN)))
            .collect()
    }))
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    #[derive(Debug, Serialize, Deserialize)]
    struct Figures {
        #[serde(deserialize_with = "super::f64_or_null")]
        x: f64,
        #[serde(default, deserialize_with = "super::map_or_null")]
        m: Option<std::collections::BTreeMap<String, f64>>,
    }

    #[test]
    fn non_finite_figures_write_null_and_read_back_as_nan() {
        let f = Figures {
            x: f64::INFINITY,
            m: Some([("a".to_string(), f64::NAN), ("b".to_string(), 1.5)].into()),
        };
        let json = serde_json::to_string(&f).unwrap();
        assert_eq!(json, r#"{"x":null,"m":{"a":null,"b":1.5}}"#);
        let back: Figures = serde_json::from_str(&json).unwrap();
        assert!(back.x.is_nan());
        let m = back.m.unwrap();
        assert!(m["a"].is_nan() && m["b"] == 1.5);
        let finite: Figures = serde_json::from_str(r#"{"x":2.5}"#).unwrap();
        assert_eq!(finite.x, 2.5);
        assert!(finite.m.is_none());
    }
}
