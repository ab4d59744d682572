//! The verdict: one sentence that says whether to wake someone up.
//!
//! It names the worst firing incident (worst level, then the oldest), since which window and
//! time, for how many windows, and its figures against its threshold, plus the share of drifted
//! features; or `OK` with the last window's age. The comparison sign is taken from the numbers
//! themselves (`0.530 < 0.700`), so it can never contradict them.

use ml_monitor::monitoring::{Incident, Member};
use ml_monitor::AlertLevel;

use super::app::App;
use super::format;
use super::sanitize::sanitize;
use super::TuiOptions;

/// The worst firing level (none when all is quiet) and the whole sentence.
#[cfg(test)]
pub(crate) fn verdict(app: &App) -> (Option<AlertLevel>, String) {
    let (level, mut variants) = verdict_variants(app);
    (level, variants.swap_remove(0))
}

/// The worst firing level and the longest form of the sentence that fits `width` cells (the
/// shortest cut with `…` when none does).
pub(crate) fn verdict_fitted(app: &App, width: usize) -> (Option<AlertLevel>, String) {
    let (level, variants) = verdict_variants(app);
    let text = match variants.iter().find(|v| v.chars().count() <= width) {
        Some(text) => text.clone(),
        None => format::fit(variants.last().map_or("", String::as_str), width),
    };
    (level, text)
}

/// The worst firing level and the sentence in shorter and shorter forms, for a narrow
/// terminal: the drifted share goes first, then the time and window count, then `since`; the
/// condition and its figures stay to the end.
pub(crate) fn verdict_variants(app: &App) -> (Option<AlertLevel>, Vec<String>) {
    let shown = app.shown();
    let rows = app.all_feature_rows();
    let drifted = rows.iter().filter(|r| r.drifted).count();
    let share = (!rows.is_empty()).then(|| format!("{drifted}/{} features drifted", rows.len()));
    let with_share = |text: &str| match &share {
        Some(share) => format!("{text} · {share}"),
        None => text.to_string(),
    };
    // The worst level first; within it, a problem nobody acknowledged yet before one someone is
    // on.
    let worst = shown.firing.iter().find(|i| {
        Some(i.level) == shown.firing.first().map(|f| f.level)
            && !app.is_incident_acknowledged(i.id)
    });
    let Some(worst) = worst.or(shown.firing.first()) else {
        let Some(last) = &shown.last else {
            return (None, vec!["WAITING · no window yet".to_string()]);
        };
        let text = format!(
            "OK · 0 firing · last window {}",
            format::age(app.now, last.timestamp)
        );
        return (None, dedup(vec![with_share(&text), text]));
    };
    let windows = if worst.windows == 1 {
        "1 window".to_string()
    } else {
        format!("{} windows", worst.windows)
    };
    // Acknowledged: someone is on it, which the line says rather than hides.
    let level = if app.is_incident_acknowledged(worst.id) {
        format!("{} (acked)", worst.level.as_str())
    } else {
        worst.level.as_str().to_string()
    };
    let since = sanitize(format::window_label(&worst.first_window)).into_owned();
    let condition = problem_condition(worst, &app.options);
    let full = format!(
        "{level} since {since} ({}, {windows}): {condition}",
        app.time(worst.opened_at),
    );
    let variants = vec![
        with_share(&full),
        full,
        format!("{level} since {since}: {condition}"),
        format!("{level}: {condition}"),
    ];
    (Some(worst.level), dedup(variants))
}

fn dedup(mut variants: Vec<String>) -> Vec<String> {
    variants.dedup();
    variants
}

/// A problem's worst firing member with its figures, and how many others fire with it:
/// `accuracy 0.640 < 0.700 (+2 more)`.
pub(crate) fn problem_condition(problem: &Incident, options: &TuiOptions) -> String {
    let firing = problem.members.iter().filter(|m| m.is_firing()).count();
    match worst_member(problem) {
        Some(m) if m.is_firing() && firing > 1 => {
            format!("{} (+{} more)", member_condition(m, options), firing - 1)
        }
        Some(m) => member_condition(m, options),
        None => condition(problem, options),
    }
}

/// The member a problem's row leads with: its worst firing one (among equals the earliest, the
/// problem's first); when none fires, its first.
pub(crate) fn worst_member(problem: &Incident) -> Option<&Member> {
    problem
        .members
        .iter()
        .enumerate()
        .filter(|(_, m)| m.is_firing())
        .max_by_key(|(i, m)| (m.level, std::cmp::Reverse(*i)))
        .map(|(_, m)| m)
        .or_else(|| problem.members.first())
}

/// What an incident is about, with its figures: `accuracy 0.530 < 0.700`, `income drifted
/// (ks, psi)`.
pub(crate) fn condition(incident: &Incident, options: &TuiOptions) -> String {
    describe(Described {
        subject: incident.subject(),
        kind: incident.kind.as_str(),
        value: incident.value,
        threshold: incident
            .threshold
            .or_else(|| own_threshold(incident.metric.as_deref(), options)),
        metric: incident.metric.as_deref(),
        feature: incident.feature.is_some(),
        detectors: &incident.detectors,
        message: &incident.message,
    })
}

/// One member of a problem, as [`condition`] describes an incident.
pub(crate) fn member_condition(member: &Member, options: &TuiOptions) -> String {
    describe(Described {
        subject: member.subject(),
        kind: member.kind.as_str(),
        value: member.value,
        threshold: member
            .threshold
            .or_else(|| own_threshold(member.metric.as_deref(), options)),
        metric: member.metric.as_deref(),
        feature: member.feature.is_some(),
        detectors: &member.detectors,
        message: &member.message,
    })
}

/// What [`describe`] needs of an incident or a member.
struct Described<'a> {
    subject: &'a str,
    kind: &'a str,
    value: Option<f64>,
    threshold: Option<f64>,
    metric: Option<&'a str>,
    feature: bool,
    detectors: &'a [String],
    message: &'a str,
}

/// The threshold of a figure whose alert carries none because its detector decides alone: the
/// classifier's AUC (its alert has the AUC as value, the threshold lives in `[drift.classifier]`).
pub(crate) fn own_threshold(metric: Option<&str>, options: &TuiOptions) -> Option<f64> {
    (metric == Some("auc")).then_some(options.auc_threshold)
}

fn describe(d: Described) -> String {
    let subject = sanitize(d.subject).into_owned();
    let subject = if subject.is_empty() {
        d.kind.to_string()
    } else {
        subject
    };
    match (d.value, d.threshold) {
        (Some(v), Some(t)) if v.is_finite() && t.is_finite() => {
            let sign = if v < t {
                "<"
            } else if v > t {
                ">"
            } else {
                "="
            };
            // The classifier's figure is its AUC: `classifier: AUC 0.839 > 0.550`.
            let figure = if d.metric == Some("auc") { ": AUC" } else { "" };
            format!(
                "{subject}{figure} {} {sign} {}",
                format::number(Some(v)),
                format::number(Some(t))
            )
        }
        _ if d.feature && !d.detectors.is_empty() => {
            let detectors: Vec<String> = d
                .detectors
                .iter()
                .map(|d| sanitize(d).into_owned())
                .collect();
            format!("{subject} drifted ({})", detectors.join(", "))
        }
        // Messages of the drift rules start with their detector (`pca: reconstruction…`).
        _ => {
            let message = sanitize(d.message);
            if message.starts_with(&format!("{subject}: ")) {
                message.into_owned()
            } else {
                format!("{subject}: {message}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::fixtures;

    #[test]
    fn the_worst_firing_incident_is_named_with_its_start_and_figures() {
        let app = fixtures::app(5, false);
        let (level, text) = verdict(&app);
        assert_eq!(level, Some(AlertLevel::Critical));
        assert_eq!(
            text,
            "CRITICAL since window_0001 (20:01, 3 windows): accuracy 0.640 < 0.700 (+2 more) \
             · 2/5 features drifted"
        );
    }

    #[test]
    fn quiet_says_ok_with_the_last_windows_age() {
        let (mut app, mut tracker) = fixtures::app_and_tracker(1, false);
        for i in 2..6 {
            let mut result = fixtures::result(i, false);
            result.alerts.clear();
            fixtures::feed(&mut app, &mut tracker, result);
        }
        let (level, text) = verdict(&app);
        assert_eq!(level, None);
        assert_eq!(
            text,
            "OK · 0 firing · last window just now · 0/5 features drifted"
        );
        let (_, waiting) = verdict(&fixtures::app(0, false));
        assert_eq!(waiting, "WAITING · no window yet");
    }

    #[test]
    fn a_message_that_names_its_detector_is_not_prefixed_again() {
        let d = |subject, metric, value, message| {
            describe(Described {
                subject,
                kind: "data_drift",
                value,
                threshold: None,
                metric,
                feature: false,
                detectors: &[],
                message,
            })
        };
        assert_eq!(
            d(
                "pca",
                Some("drift_score"),
                None,
                "pca: reconstruction error 2.1 outside [1, 2]"
            ),
            "pca: reconstruction error 2.1 outside [1, 2]"
        );
        assert_eq!(
            d("window_error", None, None, "unreadable"),
            "window_error: unreadable"
        );
        let options = fixtures::options(false);
        assert_eq!(own_threshold(Some("auc"), &options), Some(0.55));
        assert_eq!(own_threshold(Some("accuracy"), &options), None);
    }
}
