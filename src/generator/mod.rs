//! Synthetic churn data with drift scenarios, for the demo, the examples, tests and `demo_data/`.
//!
//! The data set is a small customer-churn table: six numeric features, three categorical ones, the
//! churn probability of a fixed logistic model (`prediction`) and the observed outcome (`target`).
//! A [`Generator`] writes a drift-free reference window and production windows `1..=windows`;
//! from `drift_start` on, the chosen [`Scenario`] shifts some inputs, adds a category, raises a
//! missing rate and changes the true relation between inputs and outcome, so that the drift
//! detectors, the data-quality checks and the accuracy alert all have something to find.
//!
//! Two decisions shape the code:
//!
//! - **One random stream per window.** Window `k` is drawn from its own [`StdRng`], seeded from
//!   `(seed, k)`, and the reference from a stream of its own, so any window can be made without
//!   the ones before it (the demo writes them on a clock, tests jump straight to window 7).
//! - **Common random numbers.** Every row draws the same random numbers in the same order whatever
//!   the drift intensity; drift only transforms them. A column the scenario does not shift is
//!   therefore byte-for-byte the same as in the same window under [`Scenario::None`], and the
//!   differences between a drifted window and its undrifted twin are exactly the drift.
//!
//! Cells go missing in the export after the model has scored the row (a logging fault), so the
//! prediction and the truth always see the complete row; missingness is purely a data-quality
//! signal. Before drift the outcome is drawn from exactly the model's probability, which puts the
//! model's accuracy at threshold 0.5 near 0.80.
//!
//! Reproducibility: the same configuration gives the same bytes with the same `rand` (0.8, whose
//! [`StdRng`] is ChaCha12) and `rand_distr` (0.4) versions on the same platform. `StdRng` is not
//! promised to stay the same across `rand` versions, and `ln`/`exp` come from the platform's maths
//! library, so files made elsewhere may differ in a last digit.

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::data::{self, Format};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Exp1, StandardNormal};

/// Column names of every generated file, in order.
pub(crate) const HEADER: [&str; 11] = [
    "age",
    "income",
    "tenure_months",
    "credit_score",
    "sessions_per_week",
    "balance",
    "region",
    "device",
    "plan",
    "prediction",
    "target",
];

/// File name [`Generator::write_reference`] writes.
pub(crate) const REFERENCE_FILE_NAME: &str = "reference.csv";

/// How the production windows drift, starting at [`GeneratorConfig::drift_start`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scenario {
    /// No drift in any window.
    None,
    /// Full drift from `drift_start` on.
    Sudden,
    /// Drift growing linearly from none at `drift_start - 1` to full at `drift_start + 4`.
    Gradual,
    /// Full drift in alternating blocks of three windows: `drift_start..drift_start + 3` drifted,
    /// the next three not, and so on.
    Recurring,
}

impl Scenario {
    /// All scenarios, in the order they are listed to users.
    pub(crate) const ALL: [Scenario; 4] = [
        Scenario::None,
        Scenario::Sudden,
        Scenario::Gradual,
        Scenario::Recurring,
    ];

    /// The scenario's name as parsed and displayed: `none`, `sudden`, `gradual`, `recurring`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Scenario::None => "none",
            Scenario::Sudden => "sudden",
            Scenario::Gradual => "gradual",
            Scenario::Recurring => "recurring",
        }
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A scenario name that is not one of `none`, `sudden`, `gradual`, `recurring`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown drift scenario \"{input}\": expected one of none, sudden, gradual, recurring")]
pub struct ParseScenarioError {
    /// The text that failed to parse.
    pub input: String,
}

impl FromStr for Scenario {
    type Err = ParseScenarioError;

    /// Parses a scenario name, ignoring case and surrounding white space.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let name = s.trim();
        Scenario::ALL
            .into_iter()
            .find(|scenario| scenario.as_str().eq_ignore_ascii_case(name))
            .ok_or_else(|| ParseScenarioError {
                input: s.to_string(),
            })
    }
}

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratorConfig {
    /// Rows in the reference and in every window.
    pub rows: usize,
    /// Production windows written by [`Generator::write_all`] (`1..=windows`).
    pub windows: usize,
    /// Seed of all random streams.
    pub seed: u64,
    /// How the windows drift.
    pub scenario: Scenario,
    /// First drifting window, 1-based (0 counts as 1).
    pub drift_start: usize,
}

impl Default for GeneratorConfig {
    /// 2000 rows, 8 windows, seed 42, sudden drift from window 4.
    fn default() -> Self {
        GeneratorConfig {
            rows: 2000,
            windows: 8,
            seed: 42,
            scenario: Scenario::Sudden,
            drift_start: 4,
        }
    }
}

// The customer population before drift. The model standardises with these constants.
const AGE_MEAN: f64 = 40.0;
const AGE_SD: f64 = 12.0;
const INCOME_LOG_MEAN: f64 = 10.645; // median income about 42,000
const INCOME_LOG_SD: f64 = 0.55;
const TENURE_MEAN: f64 = 20.0;
const CREDIT_MEAN: f64 = 660.0;
const CREDIT_SD: f64 = 75.0;
const SESSIONS_SCALE: f64 = 2.5; // Gamma(shape 2, scale 2.5): mean 5
const SESSIONS_MEAN: f64 = 5.0;
const SESSIONS_SD: f64 = 3.535_533_905_932_737_6; // sqrt(2) * 2.5
const BALANCE_MEAN: f64 = 3000.0;
const BALANCE_SD: f64 = 2500.0;

const REGIONS: [&str; 4] = ["north", "south", "east", "west"];
const REGION_CDF: [f64; 4] = [0.30, 0.55, 0.80, 1.0];
const DEVICES: [&str; 4] = ["mobile", "desktop", "tablet", "smart_tv"];
const DEVICE_CDF: [f64; 3] = [0.55, 0.90, 1.0];
const SMART_TV: usize = 3;
const PLANS: [&str; 3] = ["basic", "plus", "premium"];
const PLAN_CDF: [f64; 3] = [0.50, 0.80, 1.0];

const BALANCE_MISSING: f64 = 0.01;
const CREDIT_MISSING: f64 = 0.005;

// The shift at full drift.
const DRIFT_AGE_SHIFT: f64 = 8.0;
const DRIFT_INCOME_FACTOR: f64 = 1.4;
const DRIFT_SESSIONS_SHIFT: f64 = 3.0;
const DRIFT_SMART_TV_SHARE: f64 = 0.10;
const DRIFT_CREDIT_MISSING: f64 = 0.15;

const GRADUAL_RAMP_WINDOWS: f64 = 5.0;
const RECURRING_BLOCK: usize = 3;

/// Logistic weights on the standardised numeric features and the one-hot categories.
#[derive(Debug, Clone, Copy)]
struct Weights {
    intercept: f64,
    /// age, income (log), tenure_months, credit_score, sessions_per_week, balance.
    numeric: [f64; 6],
    region: [f64; 4],
    /// mobile, desktop, tablet, smart_tv.
    device: [f64; 4],
    plan: [f64; 3],
}

/// The deployed model, which is also the truth before drift. Long tenure, engagement, a good
/// credit score and a bigger plan keep customers; mobile-only customers leave more often.
const MODEL: Weights = Weights {
    intercept: -0.3,
    numeric: [-0.5, -0.6, -1.5, -1.4, -1.3, -0.6],
    region: [0.0, 0.3, -0.2, 0.1],
    device: [0.4, 0.0, -0.2, 0.0],
    plan: [0.0, -0.5, -1.0],
};

/// The truth at full drift: a competitor's offer poaches customers with good credit (the credit
/// score's effect flips sign), tenure stops protecting them, smart-TV users churn more, and churn
/// rises overall (the intercept), which roughly offsets the shifted inputs' pull towards staying.
const DRIFTED_TRUTH: Weights = Weights {
    intercept: 1.0,
    numeric: [-0.5, -0.6, 0.0, 2.0, -1.3, -0.6],
    region: [0.0, 0.3, -0.2, 0.1],
    device: [0.4, 0.0, -0.2, 1.0],
    plan: [0.0, -0.5, -1.0],
};

impl Weights {
    /// `self` moved towards `to` by `t` in 0..=1.
    fn lerp(&self, to: &Weights, t: f64) -> Weights {
        let mix = |a: f64, b: f64| a + t * (b - a);
        Weights {
            intercept: mix(self.intercept, to.intercept),
            numeric: std::array::from_fn(|i| mix(self.numeric[i], to.numeric[i])),
            region: std::array::from_fn(|i| mix(self.region[i], to.region[i])),
            device: std::array::from_fn(|i| mix(self.device[i], to.device[i])),
            plan: std::array::from_fn(|i| mix(self.plan[i], to.plan[i])),
        }
    }

    fn probability(&self, z: &[f64; 6], region: usize, device: usize, plan: usize) -> f64 {
        let numeric: f64 = self.numeric.iter().zip(z).map(|(w, x)| w * x).sum();
        let logit =
            self.intercept + numeric + self.region[region] + self.device[device] + self.plan[plan];
        1.0 / (1.0 + (-logit).exp())
    }
}

/// One generated row, values already rounded to what is written.
struct Row {
    age: f64,
    income: f64,
    tenure: u32,
    credit: Option<f64>,
    sessions: f64,
    balance: Option<f64>,
    region: usize,
    device: usize,
    plan: usize,
    prediction: f64,
    target: bool,
}

/// Writes the reference and production windows of a [`GeneratorConfig`] as CSV.
#[derive(Debug, Clone)]
pub struct Generator {
    config: GeneratorConfig,
    /// Cumulative Poisson(`TENURE_MEAN`) probabilities, for inverse-CDF sampling.
    tenure_cdf: Vec<f64>,
}

impl Generator {
    /// A generator for `config`.
    pub fn new(config: GeneratorConfig) -> Self {
        Generator {
            config,
            tenure_cdf: poisson_cdf(TENURE_MEAN),
        }
    }

    /// How far window `window` (1-based) has drifted under the scenario: 0 none, 1 full.
    /// Window 0 and the reference never drift.
    pub(crate) fn drift_intensity(&self, window: usize) -> f64 {
        let start = self.config.drift_start.max(1);
        if window == 0 || window < start {
            return 0.0;
        }
        match self.config.scenario {
            Scenario::None => 0.0,
            Scenario::Sudden => 1.0,
            Scenario::Gradual => ((window + 1 - start) as f64 / GRADUAL_RAMP_WINDOWS).min(1.0),
            Scenario::Recurring => {
                if ((window - start) / RECURRING_BLOCK).is_multiple_of(2) {
                    1.0
                } else {
                    0.0
                }
            }
        }
    }

    /// The bytes of `reference.csv`: drift-free, from a random stream of its own.
    pub(crate) fn reference_csv(&self) -> Vec<u8> {
        self.csv(REFERENCE_STREAM, 0.0)
    }

    /// The bytes of window `window` (1-based). They depend only on the configuration and
    /// `window`, not on which windows were made before.
    pub fn window_csv(&self, window: usize) -> Vec<u8> {
        self.csv(window_stream(window), self.drift_intensity(window))
    }

    /// The file name of window `window`: `window_0001.csv` for window 1.
    pub(crate) fn window_file_name(window: usize) -> String {
        format!("window_{window:04}.csv")
    }

    /// Writes `reference.csv` into `dir` (through a hidden temporary file) and returns its path.
    pub fn write_reference(&self, dir: &Path) -> io::Result<PathBuf> {
        write_atomically(dir, REFERENCE_FILE_NAME, &self.reference_csv())
    }

    /// Writes window `window` into `dir` and returns its path. The bytes go to
    /// `.window_0001.csv.tmp` first, which is then renamed into place, so a directory watcher
    /// only ever sees the complete file.
    pub fn write_window(&self, dir: &Path, window: usize) -> io::Result<PathBuf> {
        write_atomically(
            dir,
            &Self::window_file_name(window),
            &self.window_csv(window),
        )
    }

    /// Writes the reference and windows `1..=windows` into `dir`, returning their paths in that
    /// order.
    pub fn write_all(&self, dir: &Path) -> io::Result<Vec<PathBuf>> {
        self.write_all_as(dir, Format::Csv)
    }

    /// [`Generator::write_all`] in a file format: `reference.csv` / `window_0001.csv`,
    /// `.csv.gz` (gzip) or `.parquet` (snappy; numbers as doubles, categories as strings). The
    /// same data in each: the Parquet columns are the CSV read back, so every format gives the
    /// monitor the same numbers.
    pub fn write_all_as(&self, dir: &Path, format: Format) -> io::Result<Vec<PathBuf>> {
        let mut paths = Vec::with_capacity(self.config.windows + 1);
        let stem = REFERENCE_FILE_NAME.trim_end_matches(".csv");
        paths.push(write_atomically(
            dir,
            &format!("{stem}.{}", format.extension()),
            &encode(&self.reference_csv(), format)?,
        )?);
        for window in 1..=self.config.windows {
            paths.push(write_atomically(
                dir,
                &format!("window_{window:04}.{}", format.extension()),
                &encode(&self.window_csv(window), format)?,
            )?);
        }
        Ok(paths)
    }

    fn csv(&self, stream: u64, intensity: f64) -> Vec<u8> {
        let mut rng = StdRng::seed_from_u64(mix64(self.config.seed ^ mix64(stream)));
        let truth = MODEL.lerp(&DRIFTED_TRUTH, intensity);
        let mut out = Vec::with_capacity(80 * (self.config.rows + 1));
        out.extend_from_slice(HEADER.join(",").as_bytes());
        out.push(b'\n');
        for _ in 0..self.config.rows {
            let row = self.row(&mut rng, intensity, &truth);
            push_row(&mut out, &row);
        }
        out
    }

    /// Draws one row. Every call consumes the same random draws in the same order, whatever the
    /// intensity (see the module docs).
    fn row(&self, rng: &mut StdRng, intensity: f64, truth: &Weights) -> Row {
        let z_age: f64 = rng.sample(StandardNormal);
        let z_income: f64 = rng.sample(StandardNormal);
        let u_tenure: f64 = rng.gen();
        let z_credit: f64 = rng.sample(StandardNormal);
        let sessions_draw: f64 = rng.sample::<f64, _>(Exp1) + rng.sample::<f64, _>(Exp1);
        let z_balance: f64 = rng.sample(StandardNormal);
        let u_region: f64 = rng.gen();
        let u_smart_tv: f64 = rng.gen();
        let u_device: f64 = rng.gen();
        let u_plan: f64 = rng.gen();
        let u_balance_missing: f64 = rng.gen();
        let u_credit_missing: f64 = rng.gen();
        let u_target: f64 = rng.gen();

        let age = (AGE_MEAN + DRIFT_AGE_SHIFT * intensity + AGE_SD * z_age)
            .round()
            .clamp(18.0, 90.0);
        let income_factor = 1.0 + (DRIFT_INCOME_FACTOR - 1.0) * intensity;
        let income = round_to(
            (INCOME_LOG_MEAN + INCOME_LOG_SD * z_income).exp() * income_factor,
            100.0,
        );
        let tenure = self.tenure_cdf.partition_point(|&p| p <= u_tenure) as u32;
        let credit = (CREDIT_MEAN + CREDIT_SD * z_credit)
            .round()
            .clamp(300.0, 850.0);
        let sessions = round_to(
            SESSIONS_SCALE * sessions_draw + DRIFT_SESSIONS_SHIFT * intensity,
            10.0,
        );
        let balance = round_to(BALANCE_MEAN + BALANCE_SD * z_balance, 100.0);
        let region = pick(&REGION_CDF, u_region);
        let device = if u_smart_tv < DRIFT_SMART_TV_SHARE * intensity {
            SMART_TV
        } else {
            pick(&DEVICE_CDF, u_device)
        };
        let plan = pick(&PLAN_CDF, u_plan);

        let z = [
            (age - AGE_MEAN) / AGE_SD,
            (income.ln() - INCOME_LOG_MEAN) / INCOME_LOG_SD,
            (f64::from(tenure) - TENURE_MEAN) / TENURE_MEAN.sqrt(),
            (credit - CREDIT_MEAN) / CREDIT_SD,
            (sessions - SESSIONS_MEAN) / SESSIONS_SD,
            (balance - BALANCE_MEAN) / BALANCE_SD,
        ];
        let prediction = MODEL.probability(&z, region, device, plan);
        let true_probability = if intensity == 0.0 {
            prediction
        } else {
            truth.probability(&z, region, device, plan)
        };

        let credit_missing = CREDIT_MISSING + (DRIFT_CREDIT_MISSING - CREDIT_MISSING) * intensity;
        Row {
            age,
            income,
            tenure,
            credit: (u_credit_missing >= credit_missing).then_some(credit),
            sessions,
            balance: (u_balance_missing >= BALANCE_MISSING).then_some(balance),
            region,
            device,
            plan,
            prediction,
            target: u_target < true_probability,
        }
    }
}

/// The reference's random stream; window `k` uses stream `k + 1`.
const REFERENCE_STREAM: u64 = 0;

fn window_stream(window: usize) -> u64 {
    (window as u64).wrapping_add(1)
}

/// SplitMix64's finaliser: spreads nearby seeds and window indices over the whole `u64`.
fn mix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Cumulative Poisson(`lambda`) probabilities up to where the tail is negligible.
fn poisson_cdf(lambda: f64) -> Vec<f64> {
    let mut cdf = Vec::new();
    let mut p = (-lambda).exp();
    let mut total = 0.0;
    let mut k = 0.0;
    while total < 1.0 - 1e-15 && cdf.len() < 1000 {
        total += p;
        cdf.push(total);
        k += 1.0;
        p *= lambda / k;
    }
    cdf
}

/// The category whose cumulative share first exceeds `u`.
fn pick(cdf: &[f64], u: f64) -> usize {
    cdf.iter()
        .position(|&c| u < c)
        .unwrap_or(cdf.len().saturating_sub(1))
}

fn round_to(x: f64, scale: f64) -> f64 {
    (x * scale).round() / scale
}

fn push_row(out: &mut Vec<u8>, row: &Row) {
    push_fixed(out, row.age, 0);
    out.push(b',');
    push_fixed(out, row.income, 2);
    out.push(b',');
    push_uint(out, u64::from(row.tenure));
    out.push(b',');
    if let Some(credit) = row.credit {
        push_fixed(out, credit, 0);
    }
    out.push(b',');
    push_fixed(out, row.sessions, 1);
    out.push(b',');
    if let Some(balance) = row.balance {
        push_fixed(out, balance, 2);
    }
    out.push(b',');
    out.extend_from_slice(REGIONS[row.region].as_bytes());
    out.push(b',');
    out.extend_from_slice(DEVICES[row.device].as_bytes());
    out.push(b',');
    out.extend_from_slice(PLANS[row.plan].as_bytes());
    out.push(b',');
    push_fixed(out, row.prediction, 6);
    out.push(b',');
    out.push(if row.target { b'1' } else { b'0' });
    out.push(b'\n');
}

/// Writes `value` with exactly `decimals` (at most 9) digits after the point, rounding half away
/// from zero; much faster than `format!("{:.2}")` and never writes `-0`.
fn push_fixed(out: &mut Vec<u8>, value: f64, decimals: u32) {
    debug_assert!(decimals <= 9 && value.is_finite());
    let scale = 10u64.pow(decimals);
    let scaled = (value * scale as f64).round() as i64;
    if scaled < 0 {
        out.push(b'-');
    }
    let magnitude = scaled.unsigned_abs();
    push_uint(out, magnitude / scale);
    if decimals > 0 {
        out.push(b'.');
        let mut fraction = magnitude % scale;
        let start = out.len();
        out.resize(start + decimals as usize, b'0');
        for digit in out[start..].iter_mut().rev() {
            *digit = b'0' + (fraction % 10) as u8;
            fraction /= 10;
        }
    }
}

fn push_uint(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

/// CSV bytes in `format`.
fn encode(csv: &[u8], format: Format) -> io::Result<Vec<u8>> {
    match format {
        Format::Csv => Ok(csv.to_vec()),
        Format::CsvGz => {
            use std::io::Write;
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            encoder.write_all(csv)?;
            encoder.finish()
        }
        Format::Parquet => {
            let invalid = |e: String| io::Error::new(io::ErrorKind::InvalidData, e);
            let (window, _) = data::parse_reference(
                Path::new("generated.csv"),
                csv,
                &data::ColumnRoles::default(),
            )
            .map_err(|e| invalid(e.to_string()))?;
            data::window_to_parquet(&window).map_err(invalid)
        }
    }
}

/// Writes `bytes` to `dir/.name.tmp`, then renames it to `dir/name`.
fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<PathBuf> {
    let temporary = dir.join(format!(".{name}.tmp"));
    let path = dir.join(name);
    fs::write(&temporary, bytes)?;
    fs::rename(&temporary, &path)?;
    Ok(path)
}

#[cfg(test)]
mod tests;
