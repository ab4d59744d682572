use super::*;

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn silence(matchers: &[&str], from: i64, to: i64) -> Silence {
    let t0 = DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
    Silence {
        id: 1,
        matchers: matchers
            .iter()
            .map(|m| Matcher::parse(m).expect("matcher"))
            .collect(),
        starts_at: t0 + Duration::seconds(from),
        ends_at: t0 + Duration::seconds(to),
        created_by: "ana".into(),
        comment: String::new(),
    }
}

#[test]
fn every_matcher_must_hold_and_only_while_active() {
    let t0 = DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
    let s = silence(&["kind=data_drift", "feature=age"], 0, 60);
    let age = labels(&[("kind", "data_drift"), ("feature", "age")]);
    let income = labels(&[("kind", "data_drift"), ("feature", "income")]);
    assert!(s.matches(&age));
    assert!(!s.matches(&income));
    assert!(!s.matches(&labels(&[("kind", "data_drift")])));
    let all = [s];
    assert!(silencing(&all, &age, t0).is_some());
    assert!(silencing(&all, &age, t0 + Duration::seconds(59)).is_some());
    assert!(silencing(&all, &age, t0 + Duration::seconds(60)).is_none());
    assert!(silencing(&all, &age, t0 - Duration::seconds(1)).is_none());
}

#[test]
fn a_problem_id_label_is_matched_like_any_other() {
    let s = silence(&["problem_id=7"], 0, 60);
    assert!(s.matches(&labels(&[("problem_id", "7"), ("kind", "data_drift")])));
    assert!(!s.matches(&labels(&[("problem_id", "8")])));
}

#[test]
fn levels_match_whatever_their_case() {
    let s = silence(&["level=warning"], 0, 60);
    assert!(s.matches(&labels(&[("level", "WARNING")])));
}

#[test]
fn bad_matchers_name_the_problem() {
    let e = Matcher::parse("colour=red").unwrap_err();
    assert!(e.contains("unknown key \"colour\""), "{e}");
    assert!(Matcher::parse("kind").unwrap_err().contains("key=value"));
    assert!(Matcher::parse("kind=").unwrap_err().contains("empty"));
}

#[test]
fn lengths() {
    assert_eq!(parse_length("4h"), Ok(Duration::hours(4)));
    assert_eq!(parse_length("30m"), Ok(Duration::minutes(30)));
    assert_eq!(parse_length("1h30m"), Ok(Duration::minutes(90)));
    assert_eq!(parse_length("2d"), Ok(Duration::days(2)));
    assert_eq!(parse_length("5s"), Ok(Duration::seconds(5)));
    for bad in ["", "4", "h", "4x", "four hours", "0s", "400d", "-1h"] {
        assert!(parse_length(bad).is_err(), "{bad}");
    }
}
