//! One JSON POST with a timeout, and what its answer means for the outbox.

use std::collections::BTreeMap;
use std::time::Duration;

use super::config::{expand_env, redact, secrets};
use super::Outcome;
use crate::sanitize::sanitize;

/// How much of a refusal's body is kept with it.
const ANSWER_CHARS: usize = 200;

/// Posts `body` to `url`; 2xx is delivered, 429, 5xx and transport errors are retried, any
/// other status is refused for good (with the answer). Header values are expanded here and
/// nowhere else, and the answer kept has every expanded value replaced by `***`.
pub(crate) fn post_json(
    url: &str,
    body: &str,
    headers: &BTreeMap<String, String>,
    timeout: Duration,
) -> Outcome {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .build()
        .into();
    let mut request = agent
        .post(url)
        .header("Content-Type", "application/json")
        .header(
            "User-Agent",
            concat!("ml-monitor/", env!("CARGO_PKG_VERSION")),
        );
    for (name, value) in headers {
        request = request.header(name.as_str(), expand_env(value));
    }
    let secrets = secrets(headers.values());
    match request.send(body.as_bytes()) {
        Ok(mut response) => {
            let status = response.status().as_u16();
            if (200..300).contains(&status) {
                return Outcome::Delivered;
            }
            let answer = response
                .body_mut()
                .with_config()
                .limit(4096)
                .read_to_string()
                .unwrap_or_default();
            let answer: String = redact(&sanitize(&answer), &secrets)
                .chars()
                .take(ANSWER_CHARS)
                .collect();
            let text = format!("HTTP {status}: {}", answer.trim());
            if status == 429 || !(400..500).contains(&status) {
                Outcome::Retry(text)
            } else {
                Outcome::Refused(text)
            }
        }
        Err(e) => Outcome::Retry(redact(&sanitize(&e.to_string()), &secrets)),
    }
}
