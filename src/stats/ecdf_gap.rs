//! The KS statistic `max |i/n1 − j/n2|`, kept while two sorted samples are merged.
//!
//! Apart from the KS test so that another merge of the same samples can keep it too:
//! Anderson–Darling walks the pooled values exactly as KS does (each step past one distinct
//! value and its ties on both sides), so the AD detector gets paging's KS evidence from the
//! merge it makes anyway instead of merging the samples a second time.

/// The largest ECDF difference seen so far: [`EcdfGap::observe`] each merge position, in order.
#[derive(Debug, Clone)]
pub(crate) struct EcdfGap {
    n1: i64,
    n2: i64,
    n1f: f64,
    n2f: f64,
    /// Whether numerators `i·n2 − j·n1` decide the maximum (see [`EcdfGap::observe`]).
    exact_numerators: bool,
    best: i64,
    dmax: f64,
}

impl EcdfGap {
    /// For samples of sizes `n1` and `n2`.
    pub(crate) fn new(n1: usize, n2: usize) -> Self {
        EcdfGap {
            n1: n1 as i64,
            n2: n2 as i64,
            n1f: n1 as f64,
            n2f: n2 as f64,
            exact_numerators: (n1 as u128) * (n2 as u128) < (1 << 50),
            best: 0,
            dmax: 0.0,
        }
    }

    /// The merge has passed `i` values of the first sample and `j` of the second (every value
    /// up to one pooled value, ties included).
    #[inline]
    pub(crate) fn observe(&mut self, i: usize, j: usize) {
        // The difference of the ECDFs is (i·n2 − j·n1) / (n1·n2). While n1·n2 < 2^50, distinct
        // numerators are at least 1/(n1·n2) > 2^-50 apart after division, far more than the
        // few ulps by which `i / n1 − j / n2` can be off in floating point; so only a position
        // whose numerator ties the largest so far can hold the largest float, and only there
        // is it divided. The result is the float maximum scipy takes, bit for bit, without two
        // divisions per step.
        if self.exact_numerators {
            let numerator = (i as i64 * self.n2 - j as i64 * self.n1).abs();
            if numerator < self.best {
                return;
            }
            self.best = numerator;
        }
        let diff = (i as f64 / self.n1f - j as f64 / self.n2f).abs();
        if diff > self.dmax {
            self.dmax = diff;
        }
    }

    /// The statistic, in [0, 1].
    pub(crate) fn statistic(&self) -> f64 {
        self.dmax.min(1.0)
    }
}
