//! The verdict: one sentence that says whether to wake someone up.
//!
//! It names the worst firing incident (worst level, then the oldest), since which window and
//! time, for how many windows, and its figures against its threshold, plus the share of drifted
//! features; or `OK` with the last window's age. The comparison sign is taken from the numbers
//! themselves (`0.530 < 0.700`), so it can never contradict them.

use ml_monitor::monitoring::Incident;
use ml_monitor::AlertLevel;

use super::app::App;
use super::format;
use super::sanitize::sanitize;

/// The worst firing level (none when all is quiet) and the sentence.
pub(crate) fn verdict(app: &App) -> (Option<AlertLevel>, String) {
    let shown = app.shown();
    let rows = app.feature_rows();
    let drifted = rows.iter().filter(|r| r.drifted).count();
    let share = (!rows.is_empty()).then(|| format!("{drifted}/{} features drifted", rows.len()));
    let Some(worst) = shown.firing.first() else {
        let Some(last) = &shown.last else {
            return (None, "WAITING · no window yet".to_string());
        };
        let mut text = format!(
            "OK · 0 firing · last window {}",
            format::age(app.now, last.timestamp)
        );
        if let Some(share) = share {
            text.push_str(" · ");
            text.push_str(&share);
        }
        return (None, text);
    };
    let windows = if worst.windows == 1 {
        "1 window".to_string()
    } else {
        format!("{} windows", worst.windows)
    };
    let mut text = format!(
        "{} since {} ({}, {windows}): {}",
        worst.level.as_str(),
        sanitize(format::window_label(&worst.first_window)),
        format::hour_minute(worst.opened_at),
        condition(worst),
    );
    if let Some(share) = share {
        text.push_str(" · ");
        text.push_str(&share);
    }
    (Some(worst.level), text)
}

/// What an incident is about, with its figures: `accuracy 0.530 < 0.700`, `income drifted
/// (ks, psi)`.
pub(crate) fn condition(incident: &Incident) -> String {
    let subject = sanitize(incident.subject()).into_owned();
    let subject = if subject.is_empty() {
        incident.kind.as_str().to_string()
    } else {
        subject
    };
    match (incident.value, incident.threshold) {
        (Some(v), Some(t)) if v.is_finite() && t.is_finite() => {
            let sign = if v < t {
                "<"
            } else if v > t {
                ">"
            } else {
                "="
            };
            format!(
                "{subject} {} {sign} {}",
                format::number(Some(v)),
                format::number(Some(t))
            )
        }
        _ if incident.feature.is_some() && !incident.detectors.is_empty() => {
            let detectors: Vec<String> = incident
                .detectors
                .iter()
                .map(|d| sanitize(d).into_owned())
                .collect();
            format!("{subject} drifted ({})", detectors.join(", "))
        }
        _ => format!("{subject}: {}", sanitize(&incident.message)),
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
            "CRITICAL since window_0001 (20:01, 3 windows): accuracy 0.640 < 0.700 \
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
}
