use std::path::Path;

use super::*;
use crate::data::{parse_labels, LabelRows, ReadOptions};

fn labels(text: &str) -> LabelRows {
    parse_labels(
        Path::new("l.labels.csv"),
        text.as_bytes(),
        "id",
        "target",
        false,
        &ReadOptions::default(),
    )
    .expect("label file")
}

fn windows() -> Vec<KeptRows> {
    vec![
        KeptRows::from_parts(&["a", "b", "c"], Some(vec![0.9, 0.2, 0.7]), None),
        KeptRows::from_parts(&["d", "", "e"], Some(vec![0.1, 0.5, 0.8]), None),
    ]
}

struct Joined {
    labels: Vec<Vec<f64>>,
    touched: Vec<bool>,
    counts: JoinCounts,
}

fn join(kept: &[KeptRows], state: &mut [Vec<f64>], held: &mut PendingLabels, text: &str) -> Joined {
    let refs: Vec<&KeptRows> = kept.iter().collect();
    let rows = labels(text);
    let values = label_values(&rows, &[]);
    let mut touched = vec![false; kept.len()];
    let counts = apply(
        &refs,
        &rows,
        &values,
        state,
        &mut touched,
        held,
        "l.labels.csv",
    );
    Joined {
        labels: state.to_vec(),
        touched,
        counts,
    }
}

fn fresh(kept: &[KeptRows]) -> Vec<Vec<f64>> {
    kept.iter().map(|k| vec![f64::NAN; k.rows()]).collect()
}

#[test]
fn rows_shuffled_across_windows_reach_their_rows() {
    let kept = windows();
    let mut state = fresh(&kept);
    let mut held = PendingLabels::new(10);
    let j = join(
        &kept,
        &mut state,
        &mut held,
        "id,target\ne,1\na,1\nx,0\nc,0\n",
    );
    assert_eq!(j.counts.matched, 3);
    assert_eq!(j.counts.unknown, 1, "x is in no window");
    assert_eq!(held.get("x").map(|h| h.label), Some(0.0));
    assert_eq!(j.touched, vec![true, true]);
    assert_eq!(j.labels[0][0], 1.0);
    assert!(j.labels[0][1].is_nan());
    assert_eq!(j.labels[0][2], 0.0);
    assert_eq!(j.labels[1][2], 1.0);
    // Window 0: a (0.9 → 1, right) and c (0.7 → 1, label 0: wrong).
    let Some(Performance::Classification(m)) =
        realised(Task::Classification, false, &kept[0], &j.labels[0])
    else {
        panic!("classification");
    };
    assert_eq!(m.accuracy, 0.5);
    assert_eq!(labelled_rows(&j.labels[0]), 2);
}

#[test]
fn the_same_file_twice_changes_nothing_and_a_new_value_replaces() {
    let kept = windows();
    let mut state = fresh(&kept);
    let mut held = PendingLabels::new(10);
    let file = "id,target\na,1\nb,0\n";
    join(&kept, &mut state, &mut held, file);
    let again = join(&kept, &mut state, &mut held, file);
    assert_eq!(again.counts.unchanged, 2);
    assert_eq!(again.counts.matched + again.counts.replaced, 0);
    assert_eq!(again.touched, vec![false, false]);
    let later = join(&kept, &mut state, &mut held, "id,target\nb,1\n");
    assert_eq!(later.counts.replaced, 1);
    assert_eq!(later.labels[0][1], 1.0);
    assert_eq!(
        labelled_rows(&later.labels[0]),
        2,
        "a replaced label is not a second one"
    );
}

#[test]
fn a_repeated_id_within_a_file_keeps_the_later_label() {
    let kept = windows();
    let mut state = fresh(&kept);
    let mut held = PendingLabels::new(10);
    let j = join(
        &kept,
        &mut state,
        &mut held,
        "id,target\nd,1\nd,0\ny,1\ny,0\n",
    );
    assert_eq!(j.labels[1][0], 0.0);
    assert_eq!(
        (j.counts.matched, j.counts.replaced, j.counts.unknown),
        (1, 2, 2)
    );
    assert_eq!(held.get("y").map(|h| h.label), Some(0.0));
}

#[test]
fn held_labels_wait_for_their_window_and_are_bounded() {
    let mut held = PendingLabels::new(2);
    held.hold("p".into(), 1.0, "one");
    held.hold("q".into(), 0.0, "one");
    held.hold("r".into(), 1.0, "two");
    assert_eq!(held.trim(), vec!["p".to_string()], "the oldest goes first");
    let window = KeptRows::from_parts(&["q", "z", "r"], Some(vec![0.2, 0.3, 0.4]), None);
    let (found, files) = held.take_for(&window);
    assert_eq!(found, vec![(0, 0.0), (2, 1.0)]);
    assert_eq!(files, vec!["one".to_string(), "two".to_string()]);
    assert!(held.is_empty());
}

#[test]
fn an_id_in_two_windows_belongs_to_the_later() {
    let kept = vec![
        KeptRows::from_parts(&["a"], Some(vec![0.9]), None),
        KeptRows::from_parts(&["a"], Some(vec![0.1]), None),
    ];
    let mut state = fresh(&kept);
    let mut held = PendingLabels::new(10);
    let j = join(&kept, &mut state, &mut held, "id,target\na,1\n");
    assert_eq!(j.touched, vec![false, true]);
}

#[test]
fn estimation_error_is_estimate_minus_realised() {
    use crate::monitoring::estimation::{EstimatedMetric, EstimatedMetrics};
    let metric = |value| EstimatedMetric {
        value,
        sampling_error: 0.01,
        lower: 0.0,
        upper: 1.0,
        lower_threshold: None,
        upper_threshold: None,
        alert: false,
    };
    let estimated = EstimatedPerformance {
        method: "cbpe".into(),
        calibrated: false,
        metrics: EstimatedMetrics {
            accuracy: Some(metric(0.8)),
            roc_auc: None,
            f1: Some(metric(0.5)),
            precision: None,
            recall: None,
        },
    };
    let kept = KeptRows::from_parts(&["a", "b"], Some(vec![0.9, 0.8]), None);
    let real = realised(Task::Classification, false, &kept, &[1.0, 0.0]).expect("metrics");
    let error = estimation_error(&estimated, &real);
    assert!((error["accuracy"] - 0.3).abs() < 1e-12, "{error:?}");
    assert!(error.contains_key("f1"));
    assert!(!error.contains_key("roc_auc"));
}

#[test]
fn multiclass_and_regression_windows_are_realised_as_the_monitor_does() {
    let classes: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
    let rows = parse_labels(
        Path::new("m.labels.csv"),
        b"id,target\nx,b\ny,c\nz,nope\n",
        "id",
        "target",
        true,
        &ReadOptions::default(),
    )
    .expect("labels");
    let values = label_values(&rows, &classes);
    assert_eq!(&values[..2], &[1.0, 2.0]);
    assert!(values[2].is_nan(), "not a class");
    // Predicted classes a, b, c for rows x, y, z; labels b, c and none.
    let kept = KeptRows::from_parts(&["x", "y", "z"], None, Some(vec![0.0, 2.0, 2.0]));
    let Some(Performance::Classification(m)) = realised(Task::Classification, true, &kept, &values)
    else {
        panic!("classification");
    };
    assert_eq!((m.accuracy, m.average.as_str()), (0.5, "macro"));
    let kept = KeptRows::from_parts(&["p", "q"], Some(vec![1.0, 3.0]), None);
    let Some(Performance::Regression(r)) =
        realised(Task::Regression, false, &kept, &[2.0, f64::NAN])
    else {
        panic!("regression");
    };
    assert_eq!(r.mae, 1.0);
}
