//! The one SQL statement that turns a window's table into its profile, for Spark SQL (3.5, 4)
//! and DuckDB.
//!
//! Plain SQL: the grid edges and categories are literals, no UDF runs on the workers. Each
//! feature is one `GROUP BY` arm of a `UNION ALL`, so a columnar table is read column by column
//! and every arm runs in parallel on the engine. A numeric value's cell is found by two levels
//! of flat `CASE WHEN v < edge` (about 2·√cells comparisons; Spark's parser is slow on deep
//! nesting). Doubles are written as the shortest decimal that reads back to the same double, in
//! scientific notation, which both engines read as DOUBLE (a plain `1.5` is a DECIMAL in Spark).
//!
//! The result has twelve columns: `part, feature, k, k2, n, n2` and the doubles `a`–`f`:
//!
//! | part | one row per | k | n | n2 | a, b, c, d, e, f |
//! |------|-------------|---|---|----|------------------|
//! | `meta` | profile | format version | rows | | (`feature` holds the reference's fingerprint) |
//! | `num` | feature and cell | cell (−1 missing, −2 invalid) | count | | Σv, Σv², min, max |
//! | `cat` | feature and category | category index (−1 missing, K other) | count | distinct values | |
//! | `pred` | prediction cell | cell (−1 missing, −2 invalid) | count | | Σ(p−c), Σ(p−c)², min, max |
//! | `cls` | target, integer label, prediction cell | cell | count | non-integer predictions | target, label, Σ log-loss terms, min p, max p |
//! | `reg` | profile | | count | | Σ(t−p)², Σ\|t−p\|, Σ(t−c), Σ(t−c)², min t, max t |

use super::reference::{ProfileReference, ReferenceFeature, FORMAT_VERSION};

/// The engine the statement is written for (identifier quoting and string escapes differ).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Spark,
    DuckDb,
}

impl std::str::FromStr for Dialect {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "spark" => Ok(Dialect::Spark),
            "duckdb" => Ok(Dialect::DuckDb),
            other => Err(format!("unknown dialect \"{other}\": spark or duckdb")),
        }
    }
}

/// The probability at or above which a prediction is class 1 (the metrics' threshold).
pub(crate) const DECISION_THRESHOLD: f64 = 0.5;

impl Dialect {
    fn ident(self, name: &str) -> String {
        match self {
            Dialect::Spark => format!("`{}`", name.replace('`', "``")),
            Dialect::DuckDb => format!("\"{}\"", name.replace('"', "\"\"")),
        }
    }

    fn string(self, text: &str) -> String {
        match self {
            // Spark reads backslash escapes inside string literals.
            Dialect::Spark => format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'")),
            Dialect::DuckDb => format!("'{}'", text.replace('\'', "''")),
        }
    }

    fn text_type(self) -> &'static str {
        match self {
            Dialect::Spark => "STRING",
            Dialect::DuckDb => "VARCHAR",
        }
    }
}

/// A double literal both engines read as exactly this DOUBLE.
pub fn double(v: f64) -> String {
    if v.is_finite() {
        format!("{v:e}")
    } else if v.is_nan() {
        "CAST('NaN' AS DOUBLE)".into()
    } else if v > 0.0 {
        "CAST('Infinity' AS DOUBLE)".into()
    } else {
        "CAST('-Infinity' AS DOUBLE)".into()
    }
}

/// The cell of `v` among `edges` (cells `lo..=hi`, the number of edges at or below `v`) as two
/// levels of flat `CASE`: about √cells comparisons to find the chunk, as many within it.
/// Deeper nesting is avoided: Spark's SQL parser slows down sharply on deeply nested
/// expressions.
fn cell_tree(out: &mut String, v: &str, edges: &[f64], lo: usize, hi: usize) {
    let cells = hi - lo + 1;
    if cells == 1 {
        out.push_str(&lo.to_string());
        return;
    }
    let chunk = (cells as f64).sqrt().ceil() as usize;
    let flat = |out: &mut String, lo: usize, hi: usize| {
        if lo == hi {
            out.push_str(&lo.to_string());
            return;
        }
        out.push_str("CASE");
        for (j, &edge) in edges.iter().enumerate().take(hi).skip(lo) {
            out.push_str(&format!(" WHEN {v} < {} THEN {j}", double(edge)));
        }
        out.push_str(&format!(" ELSE {hi} END"));
    };
    if chunk * chunk >= cells && cells <= 64 {
        flat(out, lo, hi);
        return;
    }
    out.push_str("CASE");
    let mut start = lo;
    while start + chunk <= hi {
        let end = start + chunk - 1;
        out.push_str(&format!(" WHEN {v} < {} THEN ", double(edges[end])));
        flat(out, start, end);
        start = end + 1;
    }
    out.push_str(" ELSE ");
    flat(out, start, hi);
    out.push_str(" END");
}

struct Arm {
    part: &'static str,
    feature: String,
    k: String,
    n2: String,
    doubles: [String; 6],
    from: String,
    group_by: &'static str,
}

fn texts(items: [&str; 6]) -> [String; 6] {
    items.map(str::to_string)
}

impl Arm {
    fn write(&self, out: &mut String) {
        out.push_str(&format!(
            "SELECT '{}' AS part, {} AS feature, CAST({} AS BIGINT) AS k, CAST(NULL AS BIGINT) AS k2, COUNT(*) AS n, CAST({} AS BIGINT) AS n2",
            self.part, self.feature, self.k, self.n2
        ));
        for (name, value) in ["a", "b", "c", "d", "e", "f"].iter().zip(&self.doubles) {
            out.push_str(&format!(", CAST({value} AS DOUBLE) AS {name}"));
        }
        out.push_str(&format!(" FROM {}", self.from));
        if !self.group_by.is_empty() {
            out.push_str(&format!(" GROUP BY {}", self.group_by));
        }
    }
}

/// `v` (the column as DOUBLE) and `k` (its cell; −1 missing, −2 not a number) over `table`.
fn numeric_source(dialect: Dialect, table: &str, column: &str, edges: &[f64]) -> String {
    let mut tree = String::new();
    cell_tree(&mut tree, "v0", edges, 0, edges.len());
    format!(
        "(SELECT CASE WHEN x IS NULL THEN -1 WHEN v0 IS NULL THEN -2 WHEN isnan(v0) THEN -1 ELSE {tree} END AS k, \
         CASE WHEN v0 IS NULL OR isnan(v0) THEN NULL ELSE v0 END AS v \
         FROM (SELECT {c} AS x, TRY_CAST({c} AS DOUBLE) AS v0 FROM {table}) s0) s1",
        c = dialect.ident(column)
    )
}

/// The profile statement for the window table `table` (inserted as given: a name, a qualified
/// name, or a table function such as DuckDB's `read_parquet('…')`).
pub fn profile_sql(reference: &ProfileReference, table: &str, dialect: Dialect) -> String {
    let null = || "NULL".to_string();
    let mut arms: Vec<Arm> = vec![Arm {
        part: "meta",
        feature: dialect.string(&reference.fingerprint),
        k: FORMAT_VERSION.to_string(),
        n2: null(),
        doubles: texts(["NULL"; 6]),
        from: table.to_string(),
        group_by: "",
    }];
    for feature in &reference.features {
        match feature {
            ReferenceFeature::Numeric { name, grid, .. } => arms.push(Arm {
                part: "num",
                feature: dialect.string(name),
                k: "k".into(),
                n2: null(),
                doubles: texts(["SUM(v)", "SUM(v * v)", "MIN(v)", "MAX(v)", "NULL", "NULL"]),
                from: numeric_source(dialect, table, name, grid),
                group_by: "k",
            }),
            ReferenceFeature::Categorical {
                name, categories, ..
            } => {
                let mut case = String::from(
                    "CASE WHEN s IS NULL OR LOWER(TRIM(s)) IN ('', 'na', 'nan', 'null') THEN -1",
                );
                for (i, c) in categories.iter().enumerate() {
                    case.push_str(&format!(" WHEN s = {} THEN {i}", dialect.string(c)));
                }
                case.push_str(&format!(" ELSE {} END", categories.len()));
                arms.push(Arm {
                    part: "cat",
                    feature: dialect.string(name),
                    k: "k".into(),
                    n2: "COUNT(DISTINCT s)".into(),
                    doubles: texts(["NULL"; 6]),
                    from: format!(
                        "(SELECT {case} AS k, s FROM (SELECT CAST({} AS {}) AS s FROM {table}) s0) s1",
                        dialect.ident(name),
                        dialect.text_type()
                    ),
                    group_by: "k",
                });
            }
        }
    }
    if let Some((name, grid)) = &reference.prediction {
        let c = double(reference.prediction_center);
        arms.push(Arm {
            part: "pred",
            feature: dialect.string(name),
            k: "k".into(),
            n2: null(),
            doubles: [
                format!("SUM(v - {c})"),
                format!("SUM((v - {c}) * (v - {c}))"),
                "MIN(v)".into(),
                "MAX(v)".into(),
                null(),
                null(),
            ],
            from: numeric_source(dialect, table, name, grid),
            group_by: "k",
        });
        if let Some(target) = &reference.target {
            arms.push(target_arm(reference, dialect, table, name, grid, target));
        }
    }
    let mut out = String::new();
    for (i, arm) in arms.iter().enumerate() {
        if i > 0 {
            out.push_str("\nUNION ALL\n");
        }
        arm.write(&mut out);
    }
    out
}

/// The performance arm: confusion and log-loss sums (classification) or error sums (regression)
/// over the rows where both the prediction and the target are numbers.
fn target_arm(
    reference: &ProfileReference,
    dialect: Dialect,
    table: &str,
    prediction: &str,
    grid: &[f64],
    target: &str,
) -> Arm {
    let mut tree = String::new();
    cell_tree(&mut tree, "p", grid, 0, grid.len());
    let pairs = format!(
        "(SELECT p, t, {tree} AS k, CASE WHEN p % 1e0 = 0 THEN p END AS l FROM \
         (SELECT TRY_CAST({} AS DOUBLE) + 0e0 AS p, TRY_CAST({} AS DOUBLE) + 0e0 AS t FROM {table}) s0 \
         WHERE p IS NOT NULL AND NOT isnan(p) AND t IS NOT NULL AND NOT isnan(t)) s1",
        dialect.ident(prediction),
        dialect.ident(target)
    );
    match reference.task {
        crate::config::Task::Classification => {
            let eps = f64::EPSILON;
            let loss = format!(
                "SUM(-LN(GREATEST({}, LEAST({}, CASE WHEN t = 1e0 THEN p ELSE 1e0 - p END))))",
                double(eps),
                double(1.0 - eps)
            );
            Arm {
                part: "cls",
                feature: dialect.string(prediction),
                k: "k".into(),
                n2: "SUM(CASE WHEN p % 1e0 <> 0 THEN 1 ELSE 0 END)".into(),
                doubles: [
                    "t".into(),
                    "l".into(),
                    loss,
                    "MIN(p)".into(),
                    "MAX(p)".into(),
                    "NULL".into(),
                ],
                from: pairs,
                group_by: "t, l, k",
            }
        }
        crate::config::Task::Regression => {
            let c = double(reference.target_center);
            Arm {
                part: "reg",
                feature: dialect.string(target),
                k: "NULL".into(),
                n2: "NULL".into(),
                doubles: [
                    "SUM((t - p) * (t - p))".into(),
                    "SUM(ABS(t - p))".into(),
                    format!("SUM(t - {c})"),
                    format!("SUM((t - {c}) * (t - {c}))"),
                    "MIN(t)".into(),
                    "MAX(t)".into(),
                ],
                from: pairs,
                group_by: "",
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_read_back_exactly_and_names_are_quoted() {
        for v in [0.1, -2.5e-300, 1.0 / 3.0, 123456789.123, f64::MAX] {
            assert_eq!(double(v).parse::<f64>().ok(), Some(v), "{}", double(v));
        }
        assert_eq!(Dialect::Spark.ident("a`b"), "`a``b`");
        assert_eq!(Dialect::DuckDb.ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(Dialect::Spark.string("it's \\"), "'it\\'s \\\\'");
        assert_eq!(Dialect::DuckDb.string("it's"), "'it''s'");
    }

    /// Evaluates `INT | CASE (WHEN v < NUM THEN expr)+ ELSE expr END` at `v`.
    fn eval(tokens: &mut std::iter::Peekable<std::slice::Iter<'_, &str>>, v: f64) -> usize {
        let first = tokens.next().expect("token");
        if *first != "CASE" {
            return first.parse().expect("integer");
        }
        let mut found = None;
        while tokens.peek() == Some(&&"WHEN") {
            tokens.next();
            assert_eq!(tokens.next(), Some(&"v"));
            assert_eq!(tokens.next(), Some(&"<"));
            let edge: f64 = tokens.next().expect("edge").parse().expect("number");
            assert_eq!(tokens.next(), Some(&"THEN"));
            let value = eval(tokens, v);
            if found.is_none() && v < edge {
                found = Some(value);
            }
        }
        assert_eq!(tokens.next(), Some(&"ELSE"));
        let other = eval(tokens, v);
        assert_eq!(tokens.next(), Some(&"END"));
        found.unwrap_or(other)
    }

    #[test]
    fn the_cell_tree_counts_edges_at_or_below() {
        for n in [0usize, 1, 2, 3, 10, 63, 64, 65, 200, 1001] {
            let edges: Vec<f64> = (0..n).map(|i| i as f64 * 0.5).collect();
            let mut tree = String::new();
            cell_tree(&mut tree, "v", &edges, 0, edges.len());
            let tokens: Vec<&str> = tree.split_whitespace().collect();
            for k in 0..=(2 * n + 2) {
                let v = k as f64 * 0.25 - 0.5;
                let got = eval(&mut tokens.iter().peekable(), v);
                assert_eq!(
                    got,
                    edges.partition_point(|&e| e <= v),
                    "{n} edges, v = {v}"
                );
            }
        }
    }
}
