//! Tests of the synthetic generator: scenarios, seeds, and the drift it is meant to show.

use super::*;

fn generator(scenario: Scenario, rows: usize) -> Generator {
    Generator::new(GeneratorConfig {
        rows,
        scenario,
        ..GeneratorConfig::default()
    })
}

/// Per-window figures read back from the CSV bytes.
struct Summary {
    header: Vec<String>,
    rows: usize,
    smart_tv: usize,
    credit_missing: f64,
    balance_missing: f64,
    accuracy: f64,
    columns: Vec<Vec<String>>,
}

fn summarise(bytes: &[u8]) -> Summary {
    let mut reader = csv::Reader::from_reader(bytes);
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    let mut columns = vec![Vec::new(); header.len()];
    for record in reader.records() {
        for (column, cell) in columns.iter_mut().zip(record.unwrap().iter()) {
            column.push(cell.to_string());
        }
    }
    let rows = columns[0].len();
    let share = |column: usize, pred: &dyn Fn(&str) -> bool| {
        columns[column].iter().filter(|c| pred(c)).count() as f64 / rows as f64
    };
    let correct = columns[9]
        .iter()
        .zip(&columns[10])
        .filter(|(p, t)| (p.parse::<f64>().unwrap() >= 0.5) == (t.as_str() == "1"))
        .count();
    Summary {
        smart_tv: columns[7].iter().filter(|d| *d == "smart_tv").count(),
        credit_missing: share(3, &|c| c.is_empty()),
        balance_missing: share(5, &|c| c.is_empty()),
        accuracy: correct as f64 / rows as f64,
        header,
        rows,
        columns,
    }
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let a = generator(Scenario::Sudden, 200);
    let b = generator(Scenario::Sudden, 200);
    assert_eq!(a.reference_csv(), b.reference_csv());
    assert_eq!(a.window_csv(5), b.window_csv(5));
    let other = Generator::new(GeneratorConfig {
        rows: 200,
        seed: 43,
        ..GeneratorConfig::default()
    });
    assert_ne!(a.reference_csv(), other.reference_csv());
    assert_ne!(a.window_csv(5), other.window_csv(5));
    assert_ne!(a.window_csv(1), a.window_csv(2));
    assert_ne!(a.reference_csv(), a.window_csv(1));
    assert_ne!(a.reference_csv(), a.window_csv(0));
}

#[test]
fn window_does_not_depend_on_earlier_windows() {
    let fresh = generator(Scenario::Gradual, 200).window_csv(7);
    let used = generator(Scenario::Gradual, 200);
    for window in 1..7 {
        used.window_csv(window);
    }
    used.reference_csv();
    assert_eq!(used.window_csv(7), fresh);
}

#[test]
fn header_and_row_count() {
    let summary = summarise(&generator(Scenario::None, 321).window_csv(1));
    assert_eq!(summary.header, HEADER);
    assert_eq!(summary.rows, 321);
    let empty = generator(Scenario::None, 0).reference_csv();
    assert_eq!(empty, format!("{}\n", HEADER.join(",")).into_bytes());
}

#[test]
fn values_are_plausible() {
    let summary = summarise(&generator(Scenario::Sudden, 500).window_csv(4));
    let numbers = |column: usize| -> Vec<f64> {
        summary.columns[column]
            .iter()
            .filter(|c| !c.is_empty())
            .map(|c| c.parse().unwrap())
            .collect()
    };
    assert!(numbers(0).iter().all(|&a| (18.0..=90.0).contains(&a)));
    assert!(numbers(3).iter().all(|&c| (300.0..=850.0).contains(&c)));
    assert!(numbers(9).iter().all(|&p| (0.0..=1.0).contains(&p)));
    assert!(summary.columns[1]
        .iter()
        .all(|c| c.split('.').nth(1).map(str::len) == Some(2)));
    assert!(summary.columns[9].iter().all(|c| c.len() == 8));
    assert!(summary.columns[10].iter().all(|t| t == "0" || t == "1"));
}

#[test]
fn scenario_none_never_drifts() {
    let none = generator(Scenario::None, 2000);
    for window in [1, 4, 8] {
        assert_eq!(none.drift_intensity(window), 0.0);
        let summary = summarise(&none.window_csv(window));
        assert_eq!(summary.smart_tv, 0);
        assert!(summary.credit_missing < 0.02, "{}", summary.credit_missing);
        assert!(
            summary.balance_missing < 0.03,
            "{}",
            summary.balance_missing
        );
    }
}

#[test]
fn sudden_drifts_from_drift_start_on_only() {
    let sudden = generator(Scenario::Sudden, 2000);
    for window in 1..4 {
        let summary = summarise(&sudden.window_csv(window));
        assert_eq!(summary.smart_tv, 0, "window {window}");
        assert!(summary.credit_missing < 0.02, "window {window}");
    }
    for window in [4, 6] {
        let summary = summarise(&sudden.window_csv(window));
        assert!(
            (120..=280).contains(&summary.smart_tv),
            "window {window}: {}",
            summary.smart_tv
        );
        assert!(
            (0.12..=0.18).contains(&summary.credit_missing),
            "window {window}: {}",
            summary.credit_missing
        );
    }
}

#[test]
fn unshifted_columns_are_untouched_by_drift() {
    let none = summarise(&generator(Scenario::None, 300).window_csv(5));
    let sudden = summarise(&generator(Scenario::Sudden, 300).window_csv(5));
    for (column, name) in HEADER.iter().enumerate() {
        let shifted = matches!(
            *name,
            "age"
                | "income"
                | "credit_score"
                | "sessions_per_week"
                | "device"
                | "prediction"
                | "target"
        );
        assert_eq!(
            none.columns[column] == sudden.columns[column],
            !shifted,
            "{name}"
        );
    }
}

#[test]
fn gradual_ramps_from_zero_to_one() {
    let gradual = Generator::new(GeneratorConfig {
        windows: 12,
        scenario: Scenario::Gradual,
        ..GeneratorConfig::default()
    });
    let ramp: Vec<f64> = (1..=12).map(|w| gradual.drift_intensity(w)).collect();
    assert_eq!(&ramp[..3], &[0.0, 0.0, 0.0]);
    assert!(ramp[3] > 0.0 && ramp[3] < 0.5);
    assert!(ramp.windows(2).all(|pair| pair[0] <= pair[1]));
    assert!(ramp[3..8].windows(2).all(|pair| pair[0] < pair[1]));
    assert_eq!(ramp[7], 1.0);
    assert_eq!(ramp[11], 1.0);
}

#[test]
fn recurring_alternates_in_blocks_of_three() {
    let recurring = generator(Scenario::Recurring, 10);
    let on: Vec<f64> = (1..=13).map(|w| recurring.drift_intensity(w)).collect();
    let expected = [0., 0., 0., 1., 1., 1., 0., 0., 0., 1., 1., 1., 0.];
    assert_eq!(on, expected);
}

#[test]
fn accuracy_drops_after_concept_drift() {
    let sudden = generator(Scenario::Sudden, 5000);
    let before = summarise(&sudden.window_csv(1)).accuracy;
    let after = summarise(&sudden.window_csv(4)).accuracy;
    assert!(before >= 0.75, "pre-drift accuracy {before}");
    assert!(after <= 0.65, "post-drift accuracy {after}");
}

#[test]
fn scenario_names_round_trip_and_bad_names_list_the_choices() {
    for scenario in Scenario::ALL {
        assert_eq!(scenario.to_string().parse::<Scenario>(), Ok(scenario));
    }
    assert_eq!(" Sudden ".parse::<Scenario>(), Ok(Scenario::Sudden));
    let error = "abrupt".parse::<Scenario>().unwrap_err();
    assert_eq!(
        error.to_string(),
        "unknown drift scenario \"abrupt\": expected one of none, sudden, gradual, recurring"
    );
    assert!("".parse::<Scenario>().is_err());
}

#[test]
fn fixed_point_formatting() {
    let format = |value: f64, decimals: u32| {
        let mut out = Vec::new();
        push_fixed(&mut out, value, decimals);
        String::from_utf8(out).unwrap()
    };
    assert_eq!(format(1234.5, 2), "1234.50");
    assert_eq!(format(-0.004, 2), "0.00");
    assert_eq!(format(-12.345678, 1), "-12.3");
    assert_eq!(format(0.0000125, 6), "0.000013");
    assert_eq!(format(41.0, 0), "41");
    assert_eq!(format(0.999_999_7, 6), "1.000000");
}

#[test]
fn write_all_writes_complete_files_and_no_temporaries() {
    let temporary = tempfile::tempdir().unwrap();
    let dir = temporary.path();
    let generator = Generator::new(GeneratorConfig {
        rows: 20,
        windows: 3,
        ..GeneratorConfig::default()
    });
    let paths = generator.write_all(dir).unwrap();
    let names: Vec<_> = paths
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "reference.csv",
            "window_0001.csv",
            "window_0002.csv",
            "window_0003.csv"
        ]
    );
    assert_eq!(fs::read(&paths[2]).unwrap(), generator.window_csv(2));
    let mut listed: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    listed.sort();
    assert_eq!(listed, names);
}
