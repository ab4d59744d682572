//! One problem (or, in the raw log, one alert) in full, its members listed: the whole message wrapped, the value
//! against its threshold, the detector(s), what it is about, the first and last window, and
//! whether it was acknowledged or silenced, and its runbook as a terminal hyperlink (OSC 8, see
//! [`Link`]). `h` opens the histogram of its feature.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use ml_monitor::config::{DetectorKind, Evidence};
use ml_monitor::AlertKind;

use super::{pane, Link};
use crate::tui::app::{AlertView, App, SILENCE_FOR};
use crate::tui::format;
use crate::tui::sanitize::sanitize;
use crate::tui::verdict;

/// Label width, so the values line up.
const LABEL: usize = 11;

fn field(label: &str, value: String) -> Line<'static> {
    Line::from(vec![
        Span::raw(format!("{label:<LABEL$}")),
        Span::raw(value),
    ])
}

/// The runbook's label: the line the terminal hyperlink is put on.
const RUNBOOK: &str = "runbook";

/// Draws the detail; returns the runbook's terminal hyperlink, if one is shown.
pub(super) fn render(frame: &mut Frame, area: Rect, app: &App) -> Option<Link> {
    let theme = app.theme;
    let (title, mut lines, feature) = match app.alert_view {
        AlertView::Incidents => match app.selected_incident() {
            Some(i) => {
                let title = format!(" Problem {} · {} ", i.id, i.status.as_str());
                let mut lines = vec![
                    Line::from(vec![
                        Span::styled(i.level.as_str(), theme.level(i.level)),
                        Span::raw(format!(
                            " {} · {}",
                            i.kind.as_str(),
                            verdict::condition(i, &app.options)
                        )),
                    ]),
                    Line::raw(""),
                    field("message", sanitize(&i.message).into_owned()),
                    field("value", format::number(i.value)),
                ];
                let mut detectors: Vec<String> = i.detectors.clone();
                if let Some(d) = &i.detector {
                    if !detectors.contains(d) {
                        detectors.insert(0, d.clone());
                    }
                }
                lines.push(field(
                    "threshold",
                    threshold(i.threshold, i.kind, i.metric.as_deref(), &detectors, app),
                ));
                if !detectors.is_empty() {
                    lines.push(field(
                        "detector",
                        sanitize(&detectors.join(", ")).into_owned(),
                    ));
                }
                for (label, value) in [
                    ("feature", &i.feature),
                    ("metric", &i.metric),
                    ("file", &i.file),
                ] {
                    if let Some(v) = value {
                        lines.push(field(label, sanitize(v).into_owned()));
                    }
                }
                if !i.suspects.is_empty() {
                    let ranked: Vec<String> = i
                        .suspects
                        .iter()
                        .map(|r| format!("{} (r {:.2})", sanitize(&r.feature), r.score))
                        .collect();
                    lines.push(field("suspects", ranked.join(", ")));
                }
                if i.members.len() > 1 {
                    for (n, m) in i.members.iter().enumerate() {
                        let state = if m.is_firing() { "" } else { " · resolved" };
                        let line = Line::from(vec![
                            Span::raw(format!(
                                "{:<LABEL$}",
                                if n == 0 {
                                    format!("members {}", i.members.len())
                                } else {
                                    String::new()
                                }
                            )),
                            Span::styled(
                                m.level.as_str(),
                                if m.is_firing() {
                                    theme.level(m.level)
                                } else {
                                    theme.muted()
                                },
                            ),
                            Span::raw(format!(
                                " {} · {}{state}",
                                m.kind.as_str(),
                                verdict::member_condition(m, &app.options)
                            )),
                        ]);
                        lines.push(line);
                    }
                }
                if let Some(note) = i.reopened_note() {
                    lines.push(field("opened", note));
                }
                if let Some(note) = i.resolved_note() {
                    lines.push(field("resolved", note.to_string()));
                }
                lines.push(field(
                    "first",
                    format!("{} at {}", sanitize(&i.first_window), app.time(i.opened_at)),
                ));
                lines.push(field(
                    "last",
                    format!(
                        "{} at {} · {} windows",
                        sanitize(&i.last_window),
                        app.time(i.updated_at),
                        i.windows
                    ),
                ));
                if let Some(resolved) = i.resolved_at {
                    lines.push(field("resolved", app.time(resolved)));
                }
                lines.push(field(
                    "acked",
                    if app.is_incident_acknowledged(i.id) {
                        "yes".to_string()
                    } else {
                        "no (a acknowledges)".to_string()
                    },
                ));
                lines.push(field(
                    "silenced",
                    match app.silence_of(i) {
                        Some(s) => format!(
                            "{} ({}: {})",
                            super::alerts::silenced_note(s, app),
                            sanitize(&s.matchers_text()),
                            sanitize(&s.comment)
                        ),
                        None => format!("no (S silences for {}h)", SILENCE_FOR.num_hours()),
                    },
                ));
                if let Some(url) = app.options.runbooks.for_incident(i, &app.options.monitor) {
                    lines.push(field(RUNBOOK, sanitize(&url).into_owned()));
                }
                (title, lines, i.first_feature().map(str::to_string))
            }
            None => (" Incident ".to_string(), Vec::new(), None),
        },
        AlertView::Log => match app.selected_alert() {
            Some(e) => {
                let a = &e.alert;
                let title = format!(" Alert · {} ", sanitize(&a.window));
                let mut lines = vec![
                    Line::from(vec![
                        Span::styled(a.level.as_str(), theme.level(a.level)),
                        Span::raw(format!(" {}", a.kind.as_str())),
                    ]),
                    Line::raw(""),
                    field("message", sanitize(&a.message).into_owned()),
                    field("value", format::number(a.value)),
                    field(
                        "threshold",
                        threshold(
                            a.threshold,
                            a.kind,
                            a.metric.as_deref(),
                            a.detector.as_slice(),
                            app,
                        ),
                    ),
                ];
                for (label, value) in [
                    ("detector", &a.detector),
                    ("feature", &a.feature),
                    ("metric", &a.metric),
                ] {
                    if let Some(v) = value {
                        lines.push(field(label, sanitize(v).into_owned()));
                    }
                }
                lines.push(field(
                    "window",
                    format!("{} at {}", sanitize(&a.window), app.time(a.timestamp)),
                ));
                lines.push(field(
                    "acked",
                    if app.is_acknowledged(&e.key) {
                        "yes".to_string()
                    } else {
                        "no (a acknowledges)".to_string()
                    },
                ));
                (title, lines, a.feature.clone())
            }
            None => (" Alert ".to_string(), Vec::new(), None),
        },
    };
    lines.push(Line::raw(""));
    let mut keys = String::new();
    if let Some(f) = feature {
        keys.push_str(&format!("h histogram of {} · ", sanitize(&f)));
    }
    keys.push_str("Up/Down next · y copy JSON · Esc back");
    lines.push(Line::styled(keys, theme.muted()));
    let block = pane(Line::from(title), true, theme);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
    let url = match (app.alert_view, app.selected_incident()) {
        (AlertView::Incidents, Some(i)) => {
            app.options.runbooks.for_incident(i, &app.options.monitor)?
        }
        _ => return None,
    };
    runbook_link(frame, area, sanitize(&url).into_owned())
}

/// Where the runbook's URL landed on screen (after wrapping): the part of it on the line that
/// starts with the `runbook` label, as a hyperlink to the whole URL.
fn runbook_link(frame: &mut Frame, area: Rect, url: String) -> Option<Link> {
    let buffer = frame.buffer_mut();
    let left = area.x.saturating_add(1);
    let right = area.right().saturating_sub(1);
    let text_x = left.saturating_add(LABEL as u16);
    (area.y.saturating_add(1)..area.bottom().saturating_sub(1)).find_map(|y| {
        let row = |from: u16, to: u16| -> String {
            (from..to)
                .filter_map(|x| buffer.cell((x, y)).map(|c| c.symbol().to_string()))
                .collect()
        };
        if row(left, text_x).trim_end() != RUNBOOK {
            return None;
        }
        let text = row(text_x, right).trim_end().to_string();
        (!text.is_empty() && url.starts_with(&text)).then(|| Link {
            x: text_x,
            y,
            text,
            url: url.clone(),
        })
    })
}

/// The threshold crossed; for drift, which each detector decides by its own rule, the rule of
/// each detector involved (`ad: p adj < 0.04 · psi: PSI > 0.2`), so that a classifier's
/// problem shows `AUC > 0.550`, not the per-feature tests' rule.
fn threshold(
    t: Option<f64>,
    kind: AlertKind,
    metric: Option<&str>,
    detectors: &[String],
    app: &App,
) -> String {
    let d = &app.options.drift;
    if let Some(t) = t.or_else(|| verdict::own_threshold(metric, &app.options)) {
        return match metric {
            Some("auc") => format!("AUC > {}", format::number(Some(t))),
            _ => format::number(Some(t)),
        };
    }
    match kind {
        AlertKind::DataDrift if detectors.is_empty() => format!(
            "per test: p adj < {} · PSI > {} · W > {}",
            d.alpha, d.psi_threshold, d.wasserstein_threshold
        ),
        AlertKind::DataDrift => detectors
            .iter()
            .map(|name| detector_rule(name, app))
            .collect::<Vec<_>>()
            .join(" · "),
        _ => "none".to_string(),
    }
}

/// One drift detector's rule, as `[drift]` sets it.
fn detector_rule(name: &str, app: &App) -> String {
    let d = &app.options.drift;
    let rule = match name.parse::<DetectorKind>() {
        Ok(DetectorKind::Pca) => "reconstruction error outside its fitted bounds".to_string(),
        Ok(kind) => match kind.evidence() {
            Evidence::PValue if kind == DetectorKind::Ks && d.min_statistic > 0.0 => {
                format!("p adj < {} and D ≥ {}", d.alpha, d.min_statistic)
            }
            Evidence::PValue => format!("p adj < {}", d.alpha),
            Evidence::Effect => match kind.effect_threshold(d) {
                Some(t) => format!("{} > {t}", kind.label()),
                None => "its own (see message)".to_string(),
            },
            Evidence::Auc => format!("AUC > {}", format::number(Some(app.options.auc_threshold))),
        },
        Err(_) => "its own (see message)".to_string(),
    };
    format!("{}: {rule}", sanitize(name))
}
