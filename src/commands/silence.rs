//! `ml-monitor silence add|list|expire`: silences kept in the history the monitor delivers from.
//!
//! The history is found as `history` finds it (`--history FILE`, else `--dir DIR`'s, else the
//! current directory's). `add` creates the database when `--history` names a new one, so a
//! silence can be set before the monitor first runs; `list` and `expire` need it to exist.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{DateTime, Local, Utc};

use crate::cli::{SilenceArgs, SilenceCommand};
use crate::error::UsageError;
use crate::history::{History, IncidentFormat};
use crate::plan::default_history_path;
use crate::silences::{clean, parse_length, user, Matcher, Silence};

pub(crate) fn run(args: &SilenceArgs) -> anyhow::Result<ExitCode> {
    let dir = args.dir.clone().unwrap_or_else(|| PathBuf::from("."));
    let path = args
        .history
        .clone()
        .unwrap_or_else(|| default_history_path(&dir));
    let creates = args.history.is_some() && matches!(args.command, SilenceCommand::Add { .. });
    if !path.exists() && !creates {
        let hint = if args.history.is_none() && args.dir.is_none() {
            "; run this in the watched directory, or name it: --dir DIR (or --history FILE)"
        } else {
            ""
        };
        return Err(UsageError(format!("no history at {}{hint}", path.display())).into());
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match &args.command {
        SilenceCommand::Add {
            matchers,
            length,
            comment,
            by,
        } => {
            let matchers = matchers
                .iter()
                .map(|m| Matcher::parse(m))
                .collect::<Result<Vec<_>, _>>()
                .map_err(UsageError)?;
            let length = parse_length(length).map_err(UsageError)?;
            let by = by.clone().unwrap_or_else(user);
            let mut history = History::open(&path)?;
            let id = history.add_silence(&matchers, Utc::now() + length, &by, comment)?;
            writeln!(out, "{id}")?;
        }
        SilenceCommand::List { all, format } => {
            let history = History::open(&path)?;
            list(&history.silences(!all)?, *format, &mut out)?;
        }
        SilenceCommand::Expire { id } => {
            let parsed: i64 = id
                .trim()
                .parse()
                .map_err(|_| UsageError(format!("silence id \"{}\": not a number", clean(id))))?;
            let mut history = History::open(&path)?;
            if !history.expire_silence(parsed)? {
                return Err(UsageError(format!(
                    "no silence {parsed} in {} (see `ml-monitor silence list --all`)",
                    path.display()
                ))
                .into());
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn list(silences: &[Silence], format: IncidentFormat, out: &mut dyn Write) -> anyhow::Result<()> {
    match format {
        IncidentFormat::Json => {
            for s in silences {
                writeln!(out, "{}", serde_json::to_string(s)?)?;
            }
        }
        IncidentFormat::Text => {
            if silences.is_empty() {
                writeln!(out, "no silences")?;
                return Ok(());
            }
            writeln!(
                out,
                "{:>4}  {:<36}  {:<25}  {:<12}  comment",
                "id", "matchers", "until", "by"
            )?;
            for s in silences {
                writeln!(
                    out,
                    "{:>4}  {:<36}  {:<25}  {:<12}  {}",
                    s.id,
                    shown(&s.matchers_text()),
                    local(s.ends_at),
                    shown(&s.created_by),
                    shown(&s.comment)
                )?;
            }
        }
        IncidentFormat::Md => {
            if silences.is_empty() {
                writeln!(out, "no silences")?;
                return Ok(());
            }
            writeln!(out, "| id | matchers | until | by | comment |")?;
            writeln!(out, "|---:|---|---|---|---|")?;
            for s in silences {
                let cell = |text: &str| shown(text).replace('|', "\\|");
                writeln!(
                    out,
                    "| {} | {} | {} | {} | {} |",
                    s.id,
                    cell(&s.matchers_text()),
                    local(s.ends_at),
                    cell(&s.created_by),
                    cell(&s.comment)
                )?;
            }
        }
    }
    Ok(())
}

/// Text from the history as a terminal or a Markdown page may see it (escape sequences and
/// line breaks gone).
fn shown(text: &str) -> String {
    crate::sanitize::sanitize(text).into_owned()
}

/// A time in the local zone, with its offset.
pub(crate) fn local(t: DateTime<Utc>) -> String {
    t.with_timezone(&Local)
        .format("%Y-%m-%d %H:%M:%S %:z")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md_lists_silences_as_a_markdown_table_with_data_cleaned() {
        let at = DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        let silence = Silence {
            id: 3,
            matchers: vec![Matcher {
                key: "feature".into(),
                value: "in\u{1b}[2Jcome".into(),
            }],
            starts_at: at,
            ends_at: at,
            created_by: "ops|oncall".into(),
            comment: "deploy\nfreeze".into(),
        };
        let mut out = Vec::new();
        list(&[silence], IncidentFormat::Md, &mut out).expect("lists");
        let text = String::from_utf8(out).expect("utf8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "| id | matchers | until | by | comment |");
        assert_eq!(lines[1], "|---:|---|---|---|---|");
        assert!(lines[2].starts_with("| 3 | feature=income | "), "{text}");
        assert!(
            lines[2].ends_with("| ops\\|oncall | deploy freeze |"),
            "{text}"
        );
        assert_eq!(lines.len(), 3, "{text}");
    }
}
