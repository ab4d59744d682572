//! Headless output: one JSON object per line, or a short readable table.
//!
//! The same `MonitoringResult` the TUI draws is printed here, so scripts and people see the
//! same figures.

use std::io::Write;

use clap::ValueEnum;

use ml_monitor::config::DetectorKind;
use ml_monitor::drift::FeatureTest;
use ml_monitor::monitoring::HeldBack;
use ml_monitor::monitoring::Performance;
use ml_monitor::MonitoringResult;

use crate::sanitize::sanitize;

/// Output format of results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// One JSON object per window per line.
    Json,
    /// A short readable table.
    Text,
}

/// Writes `bytes` to stdout and flushes: a closed stdout is an `io::Error` of kind
/// `BrokenPipe` (the caller ends quietly), a full disk one it reports, never a panic as
/// `println!` gives.
pub(crate) fn print(bytes: &[u8]) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(|e| std::io::Error::new(e.kind(), format!("stdout: {e}")))
}

/// Writes one late-labels line (a window's realised figures, a label file's summary or error):
/// the JSON object as made, or in text a short line; `model` as for [`write_result`].
pub(crate) fn write_label_line(
    out: &mut dyn Write,
    line: &serde_json::Value,
    format: Format,
    model: Option<&str>,
) -> std::io::Result<()> {
    let mut text = match format {
        Format::Json => {
            let mut object = serde_json::Map::new();
            if let Some(name) = model {
                object.insert("model".into(), name.into());
            }
            if let Some(fields) = line.as_object() {
                object.extend(fields.clone());
            }
            serde_json::to_vec(&object).map_err(std::io::Error::other)?
        }
        Format::Text => {
            let field = |k: &str| line.get(k).map(|v| v.to_string()).unwrap_or_default();
            let mut t = model
                .map(|m| format!("{}  ", sanitize(m)))
                .unwrap_or_default();
            if line.get("error").is_some_and(|e| !e.is_null()) {
                t += &format!("labels {}  ERROR {}", field("labels"), field("error"));
            } else if line.get("window").is_some() {
                t += &format!(
                    "labels {} -> {}  labelled {}/{}  performance {}  estimation_error {}",
                    field("labels"),
                    field("window"),
                    field("labelled_rows"),
                    field("rows"),
                    field("performance"),
                    field("estimation_error"),
                );
            } else {
                t += &format!(
                    "labels {}  rows {}  matched {}  replaced {}  unknown_ids {}  held {}",
                    field("labels"),
                    field("label_rows"),
                    field("matched"),
                    field("replaced"),
                    field("unknown_ids"),
                    field("held"),
                );
            }
            sanitize(&t).into_owned().into_bytes()
        }
    };
    text.push(b'\n');
    out.write_all(&text)?;
    out.flush()
}

/// Writes one result in the chosen format and flushes (a consumer of a pipe sees each window
/// as soon as it is done).
/// In a run over several models each result names its `model` (a first JSON field, or the
/// first word of a text line); with one, `model` is `None` and the line is as it always was.
pub(crate) fn write_result(
    out: &mut dyn Write,
    result: &MonitoringResult,
    format: Format,
    model: Option<&str>,
) -> std::io::Result<()> {
    match format {
        Format::Json => {
            // Serialised first, written after: a closed stdout is then a plain `BrokenPipe`,
            // not an error hidden inside serde_json's.
            let body = serde_json::to_vec(result).map_err(std::io::Error::other)?;
            let mut line = Vec::with_capacity(body.len() + 64);
            match (model, body.split_first()) {
                (Some(name), Some((b'{', rest))) => {
                    line.extend_from_slice(b"{\"model\":");
                    serde_json::to_writer(&mut line, name).map_err(std::io::Error::other)?;
                    if rest.first() != Some(&b'}') {
                        line.push(b',');
                    }
                    line.extend_from_slice(rest);
                }
                _ => line = body,
            }
            line.push(b'\n');
            out.write_all(&line)?;
        }
        Format::Text => {
            if let Some(name) = model {
                write!(out, "{}  ", sanitize(name))?;
            }
            write_text(out, result)?
        }
    }
    out.flush()
}

fn write_text(out: &mut dyn Write, r: &MonitoringResult) -> std::io::Result<()> {
    let name = sanitize(&r.window);
    if let Some(e) = &r.error {
        writeln!(out, "{name}  ERROR  {}", sanitize(&e.message))?;
    } else {
        let mut line = format!("{name}  {} rows", r.rows);
        for (detector, d) in &r.drift {
            let mark = if d.drift_detected { "DRIFT" } else { "ok" };
            match d.auc {
                Some(auc) => line.push_str(&format!("  {detector}: {mark} (AUC {auc:.3})")),
                None => line.push_str(&format!(
                    "  {detector}: {mark} {}/{}",
                    d.n_drifted, d.n_features
                )),
            }
        }
        match &r.performance {
            Some(Performance::Classification(m)) => {
                line.push_str(&format!(
                    "  accuracy {} f1 {}",
                    fixed(m.accuracy, 3),
                    fixed(m.f1, 3)
                ));
            }
            Some(Performance::Regression(m)) => {
                line.push_str(&format!(
                    "  r2 {} rmse {}",
                    fixed(m.r2, 3),
                    fixed(m.rmse, 4)
                ));
            }
            None => {}
        }
        if let Some(p) = &r.predictions {
            line.push_str(&format!("  pred mean {}", fixed(p.mean, 4)));
        }
        if let Some(s) = r.prediction_shift {
            line.push_str(&format!(" shift {}", fixed(s, 4)));
        }
        writeln!(out, "{line}")?;
        let drifted: Vec<String> = r
            .drift
            .iter()
            .filter(|(_, d)| d.auc.is_none())
            .flat_map(|(detector, d)| {
                d.features
                    .iter()
                    .filter(|(_, f)| f.drifted)
                    .map(move |(feature, f)| {
                        let stat = f.statistic.map_or("n/a".to_string(), |s| format!("{s:.4}"));
                        let p = f.p_value.map_or(String::new(), |p| {
                            format!(" p{}{p:.3e}", p_relation(detector, f.test, p))
                        });
                        format!("{detector}:{}={stat}{p}", sanitize(feature))
                    })
            })
            .collect();
        if !drifted.is_empty() {
            writeln!(out, "    drifted: {}", drifted.join("  "))?;
        }
        // Shown above, kept from paging by the page policy, and why.
        let held: Vec<String> = r
            .held_back
            .iter()
            .map(|(feature, why)| {
                let why = match why {
                    HeldBack::Evidence => "weak evidence",
                    HeldBack::Effect => "small effect",
                };
                format!("{} ({why})", sanitize(feature))
            })
            .collect();
        if !held.is_empty() {
            writeln!(out, "    not paged: {}", held.join(", "))?;
        }
    }
    for a in &r.alerts {
        writeln!(
            out,
            "    {:<8} {}: {}",
            a.level.as_str(),
            a.kind.as_str(),
            sanitize(&a.message)
        )?;
    }
    Ok(())
}

/// `=`, or `<` / `>` when the p-value is a capped test's bound (Anderson–Darling reports
/// 0.001 for any smaller p-value and 0.25 for any larger one, as scipy does).
fn p_relation(detector: &str, test: Option<FeatureTest>, p: f64) -> &'static str {
    use ml_monitor::stats::p_value_bound;
    // Only Anderson–Darling's own p-value is capped; a discrete feature's test (chi-square or
    // the rank sum) decided when one is named.
    if test.is_some() || detector.parse() != Ok(DetectorKind::Ad) {
        return "=";
    }
    match p_value_bound(p) {
        Some(std::cmp::Ordering::Less) => "<",
        Some(std::cmp::Ordering::Greater) => ">",
        Some(std::cmp::Ordering::Equal) | None => "=",
    }
}

/// A figure with `digits` decimals, or `n/a` when it is not finite (an overflow, say).
fn fixed(v: f64, digits: usize) -> String {
    if v.is_finite() {
        format!("{v:.digits$}")
    } else {
        "n/a".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_strips_escapes() {
        assert_eq!(sanitize("a\u{1b}[31mb\u{7}c\r\n"), "abc  ");
    }

    #[test]
    fn json_is_one_line_per_result() {
        let mut r = MonitoringResult::new("w\nx.csv");
        r.rows = 3;
        let mut buf = Vec::new();
        write_result(&mut buf, &r, Format::Json, None).expect("write");
        let text = String::from_utf8(buf).expect("utf8");
        assert_eq!(text.matches('\n').count(), 1);
        let back: MonitoringResult = serde_json::from_str(text.trim_end()).expect("parses");
        assert_eq!(back, r);
    }

    #[test]
    fn a_fleet_line_names_its_model_first_and_keeps_every_field() {
        let mut r = MonitoringResult::new("w.csv");
        r.rows = 3;
        let mut plain = Vec::new();
        write_result(&mut plain, &r, Format::Json, None).expect("write");
        let mut named = Vec::new();
        write_result(&mut named, &r, Format::Json, Some("churn \"eu\"")).expect("write");
        let named = String::from_utf8(named).expect("utf8");
        assert!(
            named.starts_with("{\"model\":\"churn \\\"eu\\\"\","),
            "{named}"
        );
        let mut value: serde_json::Value = serde_json::from_str(&named).expect("JSON");
        assert_eq!(value["model"], "churn \"eu\"");
        value.as_object_mut().expect("object").remove("model");
        let plain: serde_json::Value = serde_json::from_slice(&plain).expect("JSON");
        assert_eq!(value, plain);
    }

    #[test]
    fn a_capped_anderson_darling_p_value_is_written_as_a_bound() {
        use ml_monitor::drift::{DriftResult, FeatureDrift, FeatureStatus};
        let feature = |p: f64, test: Option<&str>| FeatureDrift {
            statistic: Some(12.5),
            p_value: Some(p),
            p_value_adjusted: None,
            drifted: true,
            status: FeatureStatus::Ok,
            test: test.and_then(|t| serde_json::from_value(serde_json::json!(t)).ok()),
            statistic_error_bound: None,
            p_value_approximate: None,
            effect: None,
            paging_p_value: None,
        };
        let ad = DriftResult::per_feature(
            [
                ("capped".to_string(), feature(0.001, None)),
                ("inside".to_string(), feature(0.004, None)),
                ("few_values".to_string(), feature(0.001, Some("chi2"))),
            ]
            .into_iter()
            .collect(),
            3,
            1,
            |d| d,
        );
        let mut r = MonitoringResult::new("w.csv");
        r.rows = 3;
        r.drift.insert("ad".to_string(), ad);
        let mut buf = Vec::new();
        write_result(&mut buf, &r, Format::Text, None).expect("write");
        let text = String::from_utf8(buf).expect("utf8");
        assert!(text.contains("ad:capped=12.5000 p<1.000e-3"), "{text}");
        assert!(text.contains("ad:inside=12.5000 p=4.000e-3"), "{text}");
        // A feature chi-square decided (few values) has an exact p-value.
        assert!(text.contains("ad:few_values=12.5000 p=1.000e-3"), "{text}");
    }

    /// A shown drift the page policy keeps from paging is named under the drifted features,
    /// with the test that held it back.
    #[test]
    fn a_drift_held_back_from_paging_is_named_in_the_text() {
        let mut r = MonitoringResult::new("w.csv");
        r.held_back.insert("age".into(), HeldBack::Effect);
        r.held_back.insert("income".into(), HeldBack::Evidence);
        let mut out = Vec::new();
        write_result(&mut out, &r, Format::Text, None).expect("written");
        let text = String::from_utf8(out).expect("utf-8");
        assert!(
            text.contains("not paged: age (small effect), income (weak evidence)"),
            "{text}"
        );
    }
}
