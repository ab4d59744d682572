//! The configuration file, read once: its text parsed into spanned tables
//! ([`Document`]), and every setting taken from those tables — the library's sections by the
//! library's types, the binary's (`[metrics]`, `[monitor]`, `[[sinks]]`, `[[models]]`, `[labels]`)
//! by its own.
//!
//! A `[[models]]` entry's `[models.drift]` / `[models.alerts]` are merged over the file's tables
//! as parsed values, which keep their spans: an error in an override points into the user's
//! file, and is said at its line with the key as written (`models[1].alerts.accuracy`), as an
//! error anywhere else in the file is. Nothing is re-serialised and parsed again.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use ml_monitor::config::locate::{Document, Step};
use ml_monitor::config::MonitorConfig;
use ml_monitor::config::{ConfigError, InvalidValue, BINARY_SECTIONS};
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::labels::LabelsConfig;
use super::tui::TuiConfig;
use crate::error::UsageError;
use crate::prometheus::MetricsConfig;
use crate::runbooks::Runbooks;
use crate::sinks::config::{RawSink, SinkSpec};

/// At most this many models in one process: each has a worker, a watcher and a history.
pub(crate) const MAX_MODELS: usize = 64;

/// `[monitor]`: what this monitor is called where its incidents are delivered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct MonitorSection {
    /// The `monitor` label of delivered incidents (default: the watched directory's name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) name: Option<String>,
}

/// The file's top-level keys, in the order a refused key lists them: the binary's sections
/// typed; the library's passed over here and read by [`MonitorConfig`].
#[derive(Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Sections {
    #[serde(rename = "task")]
    _task: IgnoredAny,
    #[serde(rename = "columns")]
    _columns: IgnoredAny,
    #[serde(rename = "drift")]
    _drift: IgnoredAny,
    #[serde(rename = "alerts")]
    _alerts: IgnoredAny,
    metrics: MetricsConfig,
    monitor: MonitorSection,
    sinks: Vec<RawSink>,
    #[serde(rename = "estimation")]
    _estimation: IgnoredAny,
    models: Vec<RawModel>,
    #[serde(rename = "profile")]
    _profile: IgnoredAny,
    #[serde(rename = "paging")]
    _paging: IgnoredAny,
    labels: LabelsConfig,
    tui: TuiConfig,
}

/// One `[[models]]` entry; its overrides are typed to be tables here and merged from the
/// parsed document.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModel {
    name: String,
    dir: PathBuf,
    reference: Option<PathBuf>,
    reference_stats: Option<PathBuf>,
    model: Option<PathBuf>,
    #[serde(rename = "drift")]
    _drift: Option<toml::Table>,
    #[serde(rename = "alerts")]
    _alerts: Option<toml::Table>,
}

/// One checked `[[models]]` entry: its paths relative to the file, its settings with the
/// overrides applied.
#[derive(Debug)]
pub(crate) struct ModelSection {
    pub(crate) name: String,
    pub(crate) dir: PathBuf,
    pub(crate) reference: Option<PathBuf>,
    pub(crate) reference_stats: Option<PathBuf>,
    pub(crate) model: Option<PathBuf>,
    pub(crate) config: MonitorConfig,
    pub(crate) runbooks: Runbooks,
}

/// A configuration file, read and checked.
#[derive(Debug)]
pub(crate) struct ConfigFile {
    /// As given (errors name it so).
    pub(crate) path: PathBuf,
    /// The text, which the sinks' spans point into.
    text: String,
    /// The library's settings of the file itself, validated.
    pub(crate) config: MonitorConfig,
    /// Its checked `[alerts.runbooks]`.
    pub(crate) runbooks: Runbooks,
    pub(crate) metrics: MetricsConfig,
    /// The line of `[metrics] addr`, for the errors of resolving it.
    metrics_addr_line: Option<usize>,
    pub(crate) monitor: MonitorSection,
    pub(crate) labels: LabelsConfig,
    pub(crate) tui: TuiConfig,
    sinks: Vec<RawSink>,
    pub(crate) models: Vec<ModelSection>,
    /// `[[sinks]]` and `[[models]]` as written, for `config --check` to show.
    written_sinks: Vec<toml::Table>,
    written_models: Vec<toml::Table>,
}

fn usage(e: ConfigError) -> UsageError {
    UsageError(e.to_string())
}

impl ConfigFile {
    /// Reads and checks the file at `path`: everything but what depends on the moment (the
    /// sinks' environment variables, the metrics address's resolution).
    pub(crate) fn read(path: &Path) -> Result<ConfigFile, UsageError> {
        let text = ml_monitor::config::read_file(path).map_err(usage)?;
        Self::parse(text, path)
    }

    /// Checks `text`, read from `path`.
    pub(crate) fn parse(text: String, path: &Path) -> Result<ConfigFile, UsageError> {
        let origin = path.display().to_string();
        let doc = Document::parse(&text, &origin).map_err(usage)?;
        let sections = Sections::deserialize(toml::de::Deserializer::from(doc.root().clone()))
            .map_err(|e| usage(doc.error(&origin, &e)))?;
        let mut library = doc.root().clone();
        for section in BINARY_SECTIONS {
            library.get_mut().remove(*section);
        }
        let (config, runbooks) = settings(&doc, &origin, library.clone(), &[])?;
        sections
            .metrics
            .validate()
            .map_err(|e| usage(doc.invalid(&origin, &[], e)))?;
        sections
            .labels
            .validate()
            .map_err(|e| usage(doc.invalid(&origin, &[], e)))?;
        if sections
            .monitor
            .name
            .as_deref()
            .is_some_and(|n| n.trim().is_empty())
        {
            let e = InvalidValue {
                key: "monitor.name".into(),
                value: "\"\"".into(),
                rule: "is empty: give a name, or leave it out for the directory's".into(),
            };
            return Err(usage(doc.invalid(&origin, &[], e)));
        }
        let models = models(&doc, &origin, path, &library, sections.models)?;
        let written = |key: &str| -> Result<Vec<toml::Table>, UsageError> {
            match doc.root().get_ref().get(key) {
                Some(v) => {
                    Vec::<toml::Table>::deserialize(toml::de::ValueDeserializer::from(v.clone()))
                        .map_err(|e| usage(doc.error(&origin, &e)))
                }
                None => Ok(Vec::new()),
            }
        };
        let (written_sinks, written_models) = (written("sinks")?, written("models")?);
        let metrics_addr_line =
            doc.line_of(&[Step::Key("metrics".into()), Step::Key("addr".into())]);
        drop(doc);
        Ok(ConfigFile {
            path: path.to_path_buf(),
            text,
            config,
            runbooks,
            metrics: sections.metrics,
            metrics_addr_line,
            monitor: sections.monitor,
            labels: sections.labels,
            tui: sections.tui,
            sinks: sections.sinks,
            models,
            written_sinks,
            written_models,
        })
    }

    /// Where `[metrics] addr` is written, as an error names it: `c.toml: line 3: metrics.addr`.
    pub(crate) fn metrics_addr_at(&self) -> String {
        let line = self
            .metrics_addr_line
            .map(|l| format!("line {l}: "))
            .unwrap_or_default();
        format!("{}: {line}metrics.addr", self.path.display())
    }

    /// The checked `[[sinks]]`: their environment variables are checked now.
    pub(crate) fn sinks(&self) -> Result<Vec<SinkSpec>, UsageError> {
        crate::sinks::config::check(&self.sinks, &self.text, &self.path).map_err(UsageError)
    }

    /// The file's settings as `config --check` shows them: every key with its value, the
    /// defaults filled in, in the order of the default file.
    pub(crate) fn printed(&self) -> anyhow::Result<String> {
        let c = &self.config;
        let printed = Printed {
            task: &c.task,
            columns: &c.columns,
            drift: &c.drift,
            alerts: &c.alerts,
            metrics: &self.metrics,
            monitor: &self.monitor,
            sinks: &self.written_sinks,
            estimation: &c.estimation,
            models: &self.written_models,
            profile: &c.profile,
            paging: &c.paging,
            labels: &self.labels,
            tui: &self.tui,
        };
        Ok(toml::to_string_pretty(&printed)?)
    }
}

/// What `config --check` prints: the library's sections and the binary's, in the file's order.
#[derive(Serialize)]
struct Printed<'a> {
    task: &'a ml_monitor::config::Task,
    columns: &'a ml_monitor::data::ColumnRoles,
    drift: &'a ml_monitor::config::DriftConfig,
    alerts: &'a ml_monitor::AlertThresholds,
    metrics: &'a MetricsConfig,
    monitor: &'a MonitorSection,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    sinks: &'a [toml::Table],
    estimation: &'a ml_monitor::config::EstimationConfig,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    models: &'a [toml::Table],
    profile: &'a ml_monitor::config::ProfileConfig,
    paging: &'a ml_monitor::config::PagingConfig,
    labels: &'a LabelsConfig,
    tui: &'a TuiConfig,
}

/// The library's settings of `table` (the file's library sections, with an entry's overrides
/// merged in when `prefix` names it) and their runbooks, validated; errors at the user's line.
fn settings(
    doc: &Document<'_>,
    origin: &str,
    table: Spanned<DeTable<'_>>,
    prefix: &[Step],
) -> Result<(MonitorConfig, Runbooks), UsageError> {
    let config = MonitorConfig::from_table(table).map_err(|e| usage(doc.error(origin, &e)))?;
    config
        .validate()
        .map_err(|e| usage(doc.invalid(origin, prefix, e)))?;
    let runbooks = Runbooks::new(&config.alerts.runbooks).map_err(|(key, message)| {
        let at = |base: &[Step]| {
            let mut path = base.to_vec();
            path.extend([
                Step::Key("alerts".into()),
                Step::Key("runbooks".into()),
                Step::Key(key.clone()),
            ]);
            doc.line_of(&path)
        };
        usage(ConfigError::Parse {
            path: origin.to_string(),
            line: at(prefix).or_else(|| at(&[])),
            key: None,
            message,
        })
    })?;
    Ok((config, runbooks))
}

/// The `[[models]]` entries, each checked and with its settings resolved.
fn models(
    doc: &Document<'_>,
    origin: &str,
    path: &Path,
    library: &Spanned<DeTable<'_>>,
    raw: Vec<RawModel>,
) -> Result<Vec<ModelSection>, UsageError> {
    if raw.len() > MAX_MODELS {
        return Err(UsageError(format!(
            "{origin}: at most {MAX_MODELS} [[models]] in one run"
        )));
    }
    let base_dir = path.parent().unwrap_or(Path::new("."));
    let relative = |p: &Path| -> PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            base_dir.join(p)
        }
    };
    let entries = doc
        .root()
        .get_ref()
        .get("models")
        .and_then(|m| m.get_ref().as_array());
    let mut out: Vec<ModelSection> = Vec::new();
    for (index, m) in raw.into_iter().enumerate() {
        let prefix = [Step::Key("models".into()), Step::Index(index)];
        let refuse = |key: &str, message: &str| {
            let mut at = prefix.to_vec();
            at.push(Step::Key(key.into()));
            usage(ConfigError::Parse {
                path: origin.to_string(),
                line: doc.line_of(&at).or_else(|| doc.line_of(&prefix)),
                key: Some(format!("models[{index}].{key}")),
                message: message.into(),
            })
        };
        if m.name.trim().is_empty() || out.iter().any(|e| e.name == m.name) {
            return Err(refuse("name", "each model needs a name of its own"));
        }
        if m.reference.is_some() && m.reference_stats.is_some() {
            return Err(refuse(
                "reference_stats",
                "reference and reference_stats exclude each other",
            ));
        }
        let mut merged = library.clone();
        let entry = entries
            .and_then(|a| a.get(index))
            .and_then(|e| e.get_ref().as_table());
        for (key, value) in entry.into_iter().flat_map(|e| e.iter()) {
            if ["drift", "alerts"].contains(&key.get_ref().as_ref()) {
                merge_entry(merged.get_mut(), key, value);
            }
        }
        let (config, runbooks) = settings(doc, origin, merged, &prefix)
            .map_err(|e| UsageError(format!("{e} (model \"{}\")", m.name)))?;
        out.push(ModelSection {
            name: m.name,
            dir: relative(&m.dir),
            reference: m.reference.map(|p| relative(&p)),
            reference_stats: m.reference_stats.map(|p| relative(&p)),
            model: m.model.map(|p| relative(&p)),
            config,
            runbooks,
        });
    }
    Ok(out)
}

/// An override's `key = value` into `into`: a table into a table key by key, anything else
/// replacing. The values keep their spans in the user's file.
fn merge_entry<'i>(
    into: &mut DeTable<'i>,
    key: &Spanned<Cow<'i, str>>,
    value: &Spanned<DeValue<'i>>,
) {
    let name = key.get_ref().as_ref();
    if let (Some(DeValue::Table(a)), DeValue::Table(b)) =
        (into.get_mut(name).map(Spanned::get_mut), value.get_ref())
    {
        for (k, v) in b.iter() {
            merge_entry(a, k, v);
        }
        return;
    }
    into.remove(name);
    into.insert(key.clone(), value.clone());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ConfigFile, String> {
        ConfigFile::parse(text.to_string(), Path::new("m.toml")).map_err(|e| e.0)
    }

    #[test]
    fn overrides_merge_table_by_table_over_the_file() {
        let file = parse(
            "[drift.statistical]\nalpha = 0.05\npsi_bins = 12\n[[models]]\nname = \"a\"\ndir = \"a\"\n[models.drift.statistical]\nalpha = 0.01\n[[models]]\nname = \"b\"\ndir = \"/b\"\n",
        )
        .expect("parses");
        let [a, b] = &file.models[..] else {
            panic!("two models: {:?}", file.models);
        };
        assert_eq!(a.config.drift.statistical.alpha, 0.01);
        assert_eq!(a.config.drift.statistical.psi_bins, 12);
        assert_eq!(b.config.drift.statistical.alpha, 0.05);
        assert_eq!(file.config.drift.statistical.alpha, 0.05);
        assert_eq!(a.dir, Path::new("a"));
        assert_eq!(b.dir, Path::new("/b"));
    }

    #[test]
    fn an_override_error_is_said_at_the_users_line_and_key() {
        let e = parse("[alerts]\naccuracy = 0.8\n[[models]]\nname = \"a\"\ndir = \"a\"\nalerts = { prediction_shift = -1 }\n")
            .expect_err("range");
        assert!(
            e.starts_with("m.toml: line 6: models[0].alerts.prediction_shift = -1: "),
            "{e}"
        );
        // A key the override does not write is the file's.
        let e = parse("[drift.classifier]\nmax_rows = 100\n[[models]]\nname = \"a\"\ndir = \"a\"\n[models.drift.classifier]\nfolds = 10\n")
            .expect_err("too few rows for the folds");
        assert!(
            e.starts_with("m.toml: line 2: drift.classifier.max_rows = 100: "),
            "{e}"
        );
    }

    #[test]
    fn the_binary_sections_are_the_binarys() {
        let file = parse("[metrics]\naddr = \":9464\"\n[monitor]\nname = \"m\"\n").expect("parses");
        assert_eq!(file.metrics.addr.as_deref(), Some(":9464"));
        assert_eq!(file.monitor.name.as_deref(), Some("m"));
        assert_eq!(file.config, MonitorConfig::default());
        let file = parse("[metrics]\n\naddr = \":1\"\n").expect("parses");
        assert_eq!(file.metrics_addr_at(), "m.toml: line 3: metrics.addr");
        let e = parse("\n[metrics]\nmax_features = 0\n").expect_err("range");
        assert!(
            e.starts_with("m.toml: line 3: metrics.max_features = 0: "),
            "{e}"
        );
    }
}
