//! `[[sinks]]`: the entries as the configuration file is read (once, by the plan), checked once
//! at start.
//!
//! Each entry keeps its values' positions (`toml::Spanned`) so that every mistake, in TOML or
//! in meaning (unknown type, bad URL, missing key), names the file, the line and the key, and
//! the monitor stops with exit status 2 before it starts watching. Header values are kept as
//! written (`${PAGER_TOKEN}`): they are expanded only when a request is sent, so a secret is
//! never stored, logged or shown; a variable that is not set (or empty, or holding a control
//! character such as a trailing newline) is a config error here rather than a wrong header
//! later, and a receiver's answer that quotes an expanded value has it replaced by `***`
//! ([`redact`]) before anything keeps it — also when the answer quotes it escaped in a JSON
//! string or percent-encoded, as receivers do.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use ml_monitor::AlertLevel;
use serde::Deserialize;
use toml::Spanned;

use crate::duration::parse_duration;

/// Default Alertmanager re-send interval: well inside its default 5-minute `resolve_timeout`.
const DEFAULT_RESEND: Duration = Duration::from_secs(60);
/// Default time a webhook, Alertmanager or command gets to answer.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// What a sink delivers to.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum SinkTarget {
    /// Alertmanager's base URL (`/api/v2/alerts` is added).
    Alertmanager { url: String, resend: Duration },
    /// A URL that receives one JSON document per change, with these headers.
    Webhook {
        url: String,
        headers: BTreeMap<String, String>,
    },
    /// A program (no shell) given the JSON on stdin.
    Command { argv: Vec<String> },
}

/// One checked `[[sinks]]` entry.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SinkSpec {
    /// Unique: `name`, else the type with its position (`webhook#2`).
    pub(crate) name: String,
    pub(crate) min_level: AlertLevel,
    pub(crate) timeout: Duration,
    pub(crate) target: SinkTarget,
}

/// One `[[sinks]]` entry as written, each value with its place in the file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSink {
    #[serde(rename = "type")]
    kind: Spanned<String>,
    name: Option<Spanned<String>>,
    min_level: Option<Spanned<String>>,
    url: Option<Spanned<String>>,
    resend_interval: Option<Spanned<String>>,
    timeout: Option<Spanned<String>>,
    headers: Option<Spanned<BTreeMap<String, String>>>,
    command: Option<Spanned<Vec<String>>>,
}

/// Checks the sinks of a config file; `text` is the file's, which the spans point into, and
/// `origin` names it in errors.
pub(crate) fn check(sinks: &[RawSink], text: &str, origin: &Path) -> Result<Vec<SinkSpec>, String> {
    let mut specs: Vec<SinkSpec> = Vec::new();
    for (index, raw) in sinks.iter().enumerate() {
        let at = |span: std::ops::Range<usize>, key: &str, message: String| {
            format!(
                "{}: line {}: sinks[{index}].{key}: {message}",
                origin.display(),
                ml_monitor::config::locate::line_at(text, span.start)
            )
        };
        let kind_span = raw.kind.span();
        let min_level = match &raw.min_level {
            Some(l) => l
                .get_ref()
                .parse::<AlertLevel>()
                .map_err(|e| at(l.span(), "min_level", e.to_string()))?,
            None => AlertLevel::Warning,
        };
        let duration = |v: &Option<Spanned<String>>, key: &str, default: Duration| match v {
            Some(d) => parse_duration(d.get_ref()).map_err(|e| at(d.span(), key, e)),
            None => Ok(default),
        };
        let timeout = duration(&raw.timeout, "timeout", DEFAULT_TIMEOUT)?;
        let url = || -> Result<String, String> {
            let Some(u) = &raw.url else {
                return Err(at(
                    kind_span.clone(),
                    "url",
                    format!(
                        "missing: a {} sink needs url = \"http://...\"",
                        raw.kind.get_ref()
                    ),
                ));
            };
            check_url(u.get_ref()).map_err(|e| at(u.span(), "url", e))?;
            Ok(u.get_ref().trim_end_matches('/').to_string())
        };
        let not_for = |span: Option<std::ops::Range<usize>>, key: &str| match span {
            Some(span) => Err(at(
                span,
                key,
                format!("not a key of a {} sink", raw.kind.get_ref()),
            )),
            None => Ok(()),
        };
        let target = match raw.kind.get_ref().as_str() {
            "alertmanager" => {
                not_for(raw.headers.as_ref().map(Spanned::span), "headers")?;
                not_for(raw.command.as_ref().map(Spanned::span), "command")?;
                SinkTarget::Alertmanager {
                    url: url()?,
                    resend: duration(&raw.resend_interval, "resend_interval", DEFAULT_RESEND)?,
                }
            }
            "webhook" => {
                not_for(
                    raw.resend_interval.as_ref().map(Spanned::span),
                    "resend_interval",
                )?;
                not_for(raw.command.as_ref().map(Spanned::span), "command")?;
                let headers = raw.headers.as_ref().map(|h| h.get_ref().clone());
                if let Some(h) = &raw.headers {
                    for (name, value) in h.get_ref() {
                        check_header(name, value).map_err(|e| at(h.span(), "headers", e))?;
                        check_env(name, value).map_err(|e| at(h.span(), "headers", e))?;
                    }
                }
                SinkTarget::Webhook {
                    url: url()?,
                    headers: headers.unwrap_or_default(),
                }
            }
            "command" => {
                not_for(
                    raw.resend_interval.as_ref().map(Spanned::span),
                    "resend_interval",
                )?;
                not_for(raw.headers.as_ref().map(Spanned::span), "headers")?;
                not_for(raw.url.as_ref().map(Spanned::span), "url")?;
                let argv = match &raw.command {
                    Some(c) if !c.get_ref().is_empty() && !c.get_ref()[0].is_empty() => {
                        c.get_ref().clone()
                    }
                    Some(c) => {
                        return Err(at(
                            c.span(),
                            "command",
                            "must name a program: command = [\"/path/to/program\", \"arg\"]".into(),
                        ))
                    }
                    None => {
                        return Err(at(
                            kind_span,
                            "command",
                            "missing: a command sink needs command = [\"program\", \"arg\", ...]"
                                .into(),
                        ))
                    }
                };
                SinkTarget::Command { argv }
            }
            other => {
                return Err(at(
                    kind_span,
                    "type",
                    format!(
                        "unknown sink type \"{other}\" (expected alertmanager, webhook or command)"
                    ),
                ))
            }
        };
        let name = match &raw.name {
            Some(n) => n.get_ref().clone(),
            None if index == 0 => raw.kind.get_ref().clone(),
            None => format!("{}#{}", raw.kind.get_ref(), index + 1),
        };
        if specs.iter().any(|s| s.name == name) {
            let span = raw.name.as_ref().map_or(kind_span, |n| n.span());
            return Err(at(span, "name", format!("\"{name}\" names two sinks")));
        }
        specs.push(SinkSpec {
            name,
            min_level,
            timeout,
            target,
        });
    }
    Ok(specs)
}

/// An http(s) URL with a host, checked by the HTTP client's own parser.
fn check_url(url: &str) -> Result<(), String> {
    let uri: ureq::http::Uri = url
        .parse()
        .map_err(|e| format!("\"{url}\" is not a URL: {e}"))?;
    match uri.scheme_str() {
        Some("http") | Some("https") => {}
        _ => return Err(format!("\"{url}\": must start with http:// or https://")),
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(format!("\"{url}\": has no host"));
    }
    Ok(())
}

fn check_header(name: &str, value: &str) -> Result<(), String> {
    ureq::http::HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| format!("\"{name}\" is not a header name"))?;
    if value.chars().any(char::is_control) {
        return Err(format!("header \"{name}\": value has control characters"));
    }
    Ok(())
}

/// Every `${NAME}` of a header value names a variable that is set, not empty, and whose value
/// a header can carry. The error names the variable, never its value.
fn check_env(name: &str, value: &str) -> Result<(), String> {
    for (_, variable) in references(value) {
        let problem = match std::env::var(variable) {
            Ok(v) if v.is_empty() => "is empty",
            Ok(v) if v.chars().any(char::is_control) => {
                "holds a control character (a trailing newline?)"
            }
            Ok(_) => continue,
            Err(std::env::VarError::NotPresent) => "is not set",
            Err(std::env::VarError::NotUnicode(_)) => "is not valid UTF-8",
        };
        return Err(format!(
            "header \"{name}\": environment variable {variable} (in ${{{variable}}}) {problem}"
        ));
    }
    Ok(())
}

/// Each `${NAME}` of a value: its byte range and the name.
fn references(value: &str) -> Vec<(std::ops::Range<usize>, &str)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(start) = value[from..].find("${").map(|i| from + i) {
        let Some(end) = value[start + 2..].find('}').map(|i| start + 2 + i) else {
            break;
        };
        found.push((start..end + 1, &value[start + 2..end]));
        from = end + 1;
    }
    found
}

/// A header value with each `${NAME}` replaced by that environment variable (empty when unset,
/// which [`parse`] refuses at start).
pub(crate) fn expand_env(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut last = 0;
    for (range, name) in references(value) {
        out.push_str(&value[last..range.start]);
        out.push_str(&std::env::var(name).unwrap_or_default());
        last = range.end;
    }
    out.push_str(&value[last..]);
    out
}

/// The values the `${NAME}`s of these header values expand to, each also as a receiver may
/// quote it back (in a JSON string, with `\/` for `/`, percent-encoded): what [`redact`] hides.
pub(crate) fn secrets<'a>(values: impl IntoIterator<Item = &'a String>) -> Vec<String> {
    let mut found: Vec<String> = values
        .into_iter()
        .flat_map(|v| references(v))
        .filter_map(|(_, name)| std::env::var(name).ok())
        .filter(|s| !s.is_empty())
        .flat_map(|s| quoted_forms(&s))
        .collect();
    // Longest first, so that a secret holding another is hidden whole.
    found.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    found.dedup();
    found
}

/// A secret as it is, and as a receiver's answer may quote it.
fn quoted_forms(secret: &str) -> Vec<String> {
    let mut forms = vec![secret.to_string()];
    if let Ok(json) = serde_json::to_string(secret) {
        let inner = json
            .strip_prefix('"')
            .and_then(|j| j.strip_suffix('"'))
            .unwrap_or(&json);
        forms.push(inner.replace('/', "\\/"));
        forms.push(inner.to_string());
    }
    forms.push(percent_encoded(secret, true));
    forms.push(percent_encoded(secret, false));
    forms
}

/// `secret` with every byte but RFC 3986's unreserved characters as `%XX` (upper-case hex
/// digits, or lower-case).
fn percent_encoded(secret: &str, upper: bool) -> String {
    let mut out = String::with_capacity(secret.len() * 3);
    for b in secret.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else if upper {
            out.push_str(&format!("%{b:02X}"));
        } else {
            out.push_str(&format!("%{b:02x}"));
        }
    }
    out
}

/// `text` with every occurrence of each secret replaced by `***`.
pub(crate) fn redact(text: &str, secrets: &[String]) -> String {
    secrets.iter().fold(text.to_string(), |t, secret| {
        t.replace(secret.as_str(), "***")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ml_monitor::config::locate::Document;

    #[derive(Deserialize)]
    struct File {
        #[serde(default)]
        sinks: Vec<RawSink>,
    }

    /// The sinks of a file's text, as the plan reads and checks them.
    fn parse_str(text: &str) -> Result<Vec<SinkSpec>, String> {
        let doc = Document::parse(text, "m.toml").map_err(|e| e.to_string())?;
        let file = File::deserialize(toml::de::Deserializer::from(doc.root().clone()))
            .map_err(|e| doc.error("m.toml", &e).to_string())?;
        check(&file.sinks, text, Path::new("m.toml"))
    }

    #[test]
    fn sinks_parse_with_defaults() {
        std::env::set_var("ML_MONITOR_TEST_PAGER_29", "x");
        let specs = parse_str(
            "[alerts]\naccuracy = 0.8\n\n[[sinks]]\ntype = \"alertmanager\"\nurl = \"http://127.0.0.1:9093/\"\n\n[[sinks]]\ntype = \"webhook\"\nurl = \"https://hooks.example/x\"\nmin_level = \"critical\"\nheaders = { Authorization = \"Bearer ${ML_MONITOR_TEST_PAGER_29}\" }\n\n[[sinks]]\ntype = \"command\"\ncommand = [\"/bin/cat\"]\ntimeout = \"2s\"\n",
        )
        .expect("parses");
        assert_eq!(specs.len(), 3);
        assert_eq!(specs[0].name, "alertmanager");
        assert_eq!(specs[0].min_level, AlertLevel::Warning);
        assert_eq!(
            specs[0].target,
            SinkTarget::Alertmanager {
                url: "http://127.0.0.1:9093".into(),
                resend: Duration::from_secs(60)
            }
        );
        assert_eq!(specs[1].name, "webhook#2");
        assert_eq!(specs[1].min_level, AlertLevel::Critical);
        match &specs[1].target {
            SinkTarget::Webhook { headers, .. } => {
                assert_eq!(
                    headers["Authorization"],
                    "Bearer ${ML_MONITOR_TEST_PAGER_29}"
                )
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(specs[2].timeout, Duration::from_secs(2));
    }

    #[test]
    fn malformed_sinks_name_file_line_and_key() {
        for (text, line, key) in [
            ("[[sinks]]\ntype = \"pager\"\n", 2, "type"),
            ("[[sinks]]\ntype = \"webhook\"\n", 2, "url"),
            ("\n[[sinks]]\ntype = \"webhook\"\nurl = \"ftp://x\"\n", 4, "url"),
            ("[[sinks]]\ntype = \"webhook\"\nurl = \"not a url\"\n", 3, "url"),
            ("[[sinks]]\ntype = \"command\"\ncommand = []\n", 3, "command"),
            (
                "[[sinks]]\ntype = \"alertmanager\"\nurl = \"http://h\"\nresend_interval = \"soon\"\n",
                4,
                "resend_interval",
            ),
            (
                "[[sinks]]\ntype = \"alertmanager\"\nurl = \"http://h\"\nmin_level = \"loud\"\n",
                4,
                "min_level",
            ),
        ] {
            let e = parse_str(text).expect_err(text);
            assert!(e.starts_with("m.toml: "), "{e}");
            assert!(e.contains(&format!("line {line}")), "{text}: {e}");
            assert!(e.contains(key), "{text}: {e}");
        }
        let e = parse_str("[[sinks]]\ntype = \"webhook\"\nurl = \"http://h\"\nurll = 1\n")
            .expect_err("unknown key");
        assert!(e.contains("urll") && e.contains("line 4"), "{e}");
    }

    #[test]
    fn env_expansion_replaces_each_variable() {
        std::env::set_var("ML_MONITOR_TEST_TOKEN_13", "s3cret");
        assert_eq!(
            expand_env("Bearer ${ML_MONITOR_TEST_TOKEN_13}!"),
            "Bearer s3cret!"
        );
        assert_eq!(expand_env("${ML_MONITOR_UNSET_13}x"), "x");
        assert_eq!(expand_env("a ${b"), "a ${b");
        assert_eq!(
            expand_env("${ML_MONITOR_TEST_TOKEN_13}${ML_MONITOR_TEST_TOKEN_13}"),
            "s3crets3cret"
        );
    }

    /// A `${NAME}` that is not set stops the start naming the file, line and key, instead of
    /// sending an empty header (issue 29, item 9).
    #[test]
    fn an_unset_variable_is_an_error_naming_file_line_and_key() {
        let e = parse_str(
            "[[sinks]]\ntype = \"webhook\"\nurl = \"http://h\"\nheaders = { Authorization = \"Bearer ${ML_MONITOR_UNSET_29}\" }\n",
        )
        .expect_err("unset");
        assert!(e.starts_with("m.toml: line 4: sinks[0].headers: "), "{e}");
        assert!(
            e.contains("ML_MONITOR_UNSET_29") && e.contains("not set"),
            "{e}"
        );
    }

    /// An empty variable, or one with a trailing newline, is refused like an unset one, naming
    /// the variable and never its value.
    #[test]
    fn an_empty_variable_or_one_with_a_newline_is_an_error() {
        std::env::set_var("ML_MONITOR_TEST_EMPTY_29", "");
        std::env::set_var("ML_MONITOR_TEST_NEWLINE_29", "tok-29\n");
        for (variable, problem) in [
            ("ML_MONITOR_TEST_EMPTY_29", "is empty"),
            ("ML_MONITOR_TEST_NEWLINE_29", "control character"),
        ] {
            let e = parse_str(&format!(
                "[[sinks]]\ntype = \"webhook\"\nurl = \"http://h\"\nheaders = {{ Authorization = \"Bearer ${{{variable}}}\" }}\n"
            ))
            .expect_err(variable);
            assert!(e.starts_with("m.toml: line 4: sinks[0].headers: "), "{e}");
            assert!(e.contains(variable) && e.contains(problem), "{e}");
            assert!(!e.contains("tok-29"), "{e}");
        }
    }

    /// Receivers quote a token back escaped: `\/` in PHP's JSON, percent-encoded in a URL.
    #[test]
    fn redaction_hides_a_secret_quoted_in_json_or_percent_encoded() {
        std::env::set_var("ML_MONITOR_TEST_SECRET_29C", "a/b+c=\"d");
        let secrets = secrets(&["${ML_MONITOR_TEST_SECRET_29C}".to_string()]);
        for quoted in [
            "a/b+c=\"d",
            "a\\/b+c=\\\"d",
            "a/b+c=\\\"d",
            "a%2Fb%2Bc%3D%22d",
            "a%2fb%2bc%3d%22d",
        ] {
            let answer = format!("{{\"error\": \"invalid token {quoted}\"}}");
            assert_eq!(
                redact(&answer, &secrets),
                "{\"error\": \"invalid token ***\"}",
                "{quoted}"
            );
        }
    }

    #[test]
    fn redaction_hides_every_expanded_value_longest_first() {
        std::env::set_var("ML_MONITOR_TEST_SECRET_29A", "tok");
        std::env::set_var("ML_MONITOR_TEST_SECRET_29B", "token-29");
        let headers = [
            "Bearer ${ML_MONITOR_TEST_SECRET_29A}".to_string(),
            "${ML_MONITOR_TEST_SECRET_29B} ${ML_MONITOR_UNSET_29}".to_string(),
        ];
        let secrets = secrets(&headers);
        assert_eq!(secrets, ["token-29", "tok"]);
        assert_eq!(
            redact("401 invalid credentials: Bearer token-29 (tok)", &secrets),
            "401 invalid credentials: Bearer *** (***)"
        );
    }
}
