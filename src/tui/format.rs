//! Numbers and times as the panes show them: short, fixed-width-friendly, and never "NaN".
//!
//! Time is always passed in (the app's `now`), never read from the clock here, so renders are
//! reproducible. Times of day are `crate::local_time`'s (local, with the date when not today);
//! the clock has no seconds so that an idle screen changes at most once a minute once the last
//! window is older than that.

use chrono::{DateTime, Utc};

/// Placeholder for a missing or non-finite figure.
pub(crate) const NA: &str = "n/a";

/// A statistic in at most about seven characters: `0.123`, `12.3`, `1.2e4`, `3.0e-5`.
pub(crate) fn number(value: Option<f64>) -> String {
    match value {
        Some(v) if v.is_finite() => {
            let a = v.abs();
            if a == 0.0 {
                "0".to_string()
            } else if !(1e-99..1e100).contains(&a) {
                format!("{v:.0e}")
            } else if !(1e-3..1e4).contains(&a) {
                format!("{v:.1e}")
            } else if a >= 100.0 {
                format!("{v:.1}")
            } else {
                format!("{v:.3}")
            }
        }
        _ => NA.to_string(),
    }
}

/// The width the drift table writes its statistics in (see [`figure`]).
pub(crate) const FIGURE: usize = 5;

/// A drift-table statistic in at most [`FIGURE`] characters and four significant digits:
/// `0.737`, `68.28`, `565.9`, `1235`, `-0.23`, scientific below 0.001 and from 10,000 (`1.2e4`,
/// `4e-5`: a statistic that small is far below any threshold, one digit says so). Figures this short keep every test column a cell narrower than [`number`]'s, so the
/// spacing between columns fits at 80 columns and two figures never touch.
pub(crate) fn figure(value: Option<f64>) -> String {
    figure_within(value, FIGURE)
}

/// [`figure`] in at most `width` characters where the value allows: as many decimals (at most
/// four significant digits) as fit, else scientific with one decimal, else none. Only an
/// exponent of three digits, or of two with a sign before the figure, runs over.
pub(crate) fn figure_within(value: Option<f64>, width: usize) -> String {
    let Some(v) = value.filter(|v| v.is_finite()) else {
        return NA.to_string();
    };
    if v == 0.0 {
        return "0".to_string();
    }
    let fits = |text: &String| text.chars().count() <= width;
    let a = v.abs();
    if (1e-3..1e4).contains(&a) {
        let most: usize = if a >= 1000.0 {
            0
        } else if a >= 100.0 {
            1
        } else if a >= 10.0 {
            2
        } else {
            3
        };
        if let Some(text) = (0..=most)
            .rev()
            .map(|decimals| format!("{v:.decimals$}"))
            .find(fits)
        {
            return text;
        }
    }
    let one = format!("{v:.1e}");
    if fits(&one) {
        return one;
    }
    format!("{v:.0e}")
}

/// A p-value: four decimals, or scientific below 1e-4.
pub(crate) fn p_value(value: Option<f64>) -> String {
    match value {
        Some(v) if v.is_finite() => {
            if v != 0.0 && v.abs() < 1e-4 {
                format!("{v:.1e}")
            } else {
                format!("{v:.4}")
            }
        }
        _ => NA.to_string(),
    }
}

/// A p-value that may be only a bound (a capped test's, see `rows::FeatureRow::p_bound`):
/// `<0.01`, `>0.25`, trailing zeros dropped: a bound says no more than its digits.
pub(crate) fn p_value_bounded(value: Option<f64>, bound: Option<std::cmp::Ordering>) -> String {
    let short = |v: f64| {
        let text = p_value(Some(v));
        if text.contains('e') {
            text
        } else {
            text.trim_end_matches('0').trim_end_matches('.').to_string()
        }
    };
    match (bound, value) {
        (Some(std::cmp::Ordering::Less), Some(v)) if v.is_finite() => format!("<{}", short(v)),
        (Some(std::cmp::Ordering::Greater), Some(v)) if v.is_finite() => {
            format!(">{}", short(v))
        }
        _ => p_value(value),
    }
}

/// A share as a percentage with one decimal.
pub(crate) fn percent(value: Option<f64>) -> String {
    match value {
        Some(v) if v.is_finite() => format!("{:.1}%", v * 100.0),
        _ => NA.to_string(),
    }
}

/// How long ago `then` was: seconds for the first minute, then minutes, hours, days.
pub(crate) fn age(now: DateTime<Utc>, then: DateTime<Utc>) -> String {
    let secs = (now - then).num_seconds();
    match secs {
        s if s < 1 => "just now".to_string(),
        s if s < 60 => format!("{s}s ago"),
        s if s < 3600 => format!("{}m ago", s / 60),
        s if s < 48 * 3600 => format!("{}h ago", s / 3600),
        s => format!("{}d ago", s / 86_400),
    }
}

/// The one way text is cut to fit: at most `width` characters, the last one `…` when cut.
pub(crate) fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut cut: String = text.chars().take(width - 1).collect();
    cut.push('…');
    cut
}

/// A window's name without its file extension (`window_0004.csv` → `window_0004`): the
/// window column and the verdict line name windows, not files.
pub(crate) fn window_label(name: &str) -> &str {
    let base = name.strip_suffix(".gz").unwrap_or(name);
    match base.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() && !ext.is_empty() && ext.len() <= 7 => stem,
        _ => name,
    }
}

/// A share as a compact percentage: one decimal below 10%, none above.
pub(crate) fn percent_short(value: Option<f64>) -> String {
    match value {
        Some(v) if v.is_finite() => {
            let p = v * 100.0;
            if p == 0.0 {
                "0%".to_string()
            } else if p.abs() < 10.0 {
                format!("{p:.1}%")
            } else {
                format!("{p:.0}%")
            }
        }
        _ => NA.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn figures_fit_their_drift_table_columns() {
        // The drift table gives statistics 7 cells and p-values 8: a cut exponent would show a
        // wrong number (1.9e-153 read as 1.9e-15).
        for v in [
            0.0, 1e-300, 1.893e-153, 3.6e-5, 1e-3, 0.5, 99.99, 215.8, 9999.0, 1e5, 1e300,
        ] {
            assert!(
                number(Some(v)).chars().count() <= 7,
                "{v}: {}",
                number(Some(v))
            );
            if v <= 1.0 {
                assert!(
                    p_value(Some(v)).chars().count() <= 8,
                    "{v}: {}",
                    p_value(Some(v))
                );
            }
        }
        assert_eq!(p_value(Some(1.893e-153)), "1.9e-153");
    }

    #[test]
    fn numbers_are_short_and_never_nan() {
        assert_eq!(number(Some(0.12345)), "0.123");
        assert_eq!(number(Some(123.45)), "123.5");
        assert_eq!(number(Some(12345.0)), "1.2e4");
        assert_eq!(number(Some(0.00002)), "2.0e-5");
        assert_eq!(number(Some(0.0)), "0");
        assert_eq!(number(Some(f64::NAN)), "n/a");
        assert_eq!(number(Some(f64::INFINITY)), "n/a");
        assert_eq!(number(None), "n/a");
        assert_eq!(p_value(Some(1.3e-30)), "1.3e-30");
        assert_eq!(p_value(Some(0.04999)), "0.0500");
        use std::cmp::Ordering::{Greater, Less};
        assert_eq!(p_value_bounded(Some(0.01), Some(Less)), "<0.01");
        assert_eq!(p_value_bounded(Some(0.004), Some(Less)), "<0.004");
        assert_eq!(p_value_bounded(Some(0.25), Some(Greater)), ">0.25");
        assert_eq!(p_value_bounded(Some(2e-5), Some(Less)), "<2.0e-5");
        assert_eq!(p_value_bounded(Some(0.01), None), "0.0100");
        assert_eq!(p_value_bounded(None, Some(Less)), NA);
        assert_eq!(percent(Some(0.025)), "2.5%");
    }

    #[test]
    fn table_figures_take_at_most_five_characters_and_four_significant_digits() {
        let cases = [
            (68.275, "68.28"),
            (565.9, "565.9"),
            (0.737, "0.737"),
            (1234.6, "1235"),
            (2.364, "2.364"),
            (-0.234, "-0.23"),
            (-12.34, "-12.3"),
            (-1234.0, "-1234"),
            (12345.0, "1.2e4"),
            (0.00002, "2e-5"),
            (-0.000036, "-4e-5"),
            (1.7e-30, "2e-30"),
            (0.0, "0"),
            (9999.7, "10000"),
            (f64::NAN, "n/a"),
        ];
        for (v, text) in cases {
            assert_eq!(figure(Some(v)), text, "{v}");
        }
        for v in [
            1e-300, 1.893e-153, 3.6e-5, 1e-3, 0.5, 9.9996, 99.996, 999.96, 215.8, 1e5, 1e99,
        ] {
            for v in [v, -v] {
                let text = figure(Some(v));
                // Only a last resort with a two- or three-digit exponent runs over.
                let exponent = text
                    .split_once('e')
                    .map_or(0, |(_, e)| e.trim_start_matches('-').len());
                assert!(
                    text.chars().count() <= FIGURE || text == format!("{v:.0e}") && exponent >= 2,
                    "{v}: {text}"
                );
                let digits = text
                    .split('e')
                    .next()
                    .unwrap_or("")
                    .trim_start_matches(['-', '0', '.'])
                    .chars()
                    .filter(char::is_ascii_digit)
                    .count();
                assert!(digits <= 4 || text == "10000", "{v}: {text}");
            }
        }
        assert_eq!(figure_within(Some(0.737), 4), "0.74");
        assert_eq!(figure_within(Some(9999.7), 4), "1e4");
    }

    #[test]
    fn text_is_cut_with_an_ellipsis_and_windows_lose_their_extension() {
        assert_eq!(fit("credit_score", 12), "credit_score");
        assert_eq!(fit("credit_score", 8), "credit_…");
        assert_eq!(fit("credit_score", 1), "…");
        assert_eq!(fit("credit_score", 0), "");
        assert_eq!(fit("âge_médian", 4), "âge…");
        assert_eq!(window_label("window_0004.csv"), "window_0004");
        assert_eq!(window_label("window_0004.csv.gz"), "window_0004");
        assert_eq!(window_label("w.parquet"), "w");
        assert_eq!(window_label("noext"), "noext");
        assert_eq!(percent_short(Some(0.12)), "12%");
        assert_eq!(percent_short(Some(0.005)), "0.5%");
        assert_eq!(percent_short(Some(0.0)), "0%");
    }

    #[test]
    fn ages_step_from_seconds_to_days() {
        let t = Utc
            .with_ymd_and_hms(2026, 11, 27, 20, 0, 0)
            .single()
            .expect("valid time");
        let later = |s| t + chrono::Duration::seconds(s);
        assert_eq!(age(t, later(5)), "just now");
        assert_eq!(age(later(42), t), "42s ago");
        assert_eq!(age(later(125), t), "2m ago");
        assert_eq!(age(later(7200), t), "2h ago");
        assert_eq!(age(later(3 * 86_400), t), "3d ago");
    }
}
