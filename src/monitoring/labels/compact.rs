//! The compact parts of a kept blob (format `MLK2`): ids front-coded against the row before,
//! and prediction figures as decimal integers when that loses nothing.
//!
//! Why: the blob is written into the history with every window, and SQLite's cost grows with
//! its pages (each one written to the WAL, then copied by the checkpoint). Ids of one window
//! mostly share a prefix (`w000-0012345`, order numbers, timestamps), and a model's scores
//! written as `0.12345` are five decimal digits, not eight bytes: a 100,000-row window's blob
//! goes from about 2.1 MB to about 0.6 MB. A figure column that is not exactly decimal
//! (computed scores, `-0.0`, infinities) is kept as eight bytes a value, as before.

use super::kept::KeptError;

/// Powers of ten that decimal figures are scaled by (each exact as an `f64`).
const POWERS: [f64; 10] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];
/// Integers up to this are exact as `f64`.
const EXACT: f64 = 9_007_199_254_740_992.0;
const RAW: u8 = 0;
const DECIMAL: u8 = 1;

pub(super) fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// Writes ids front-coded: per id, the bytes it shares with the id before, the length of the
/// rest, and the rest.
pub(super) fn put_ids(out: &mut Vec<u8>, text: &[u8], offsets: &[u32]) {
    let mut previous: &[u8] = &[];
    for w in offsets.windows(2) {
        let id = text.get(w[0] as usize..w[1] as usize).unwrap_or_default();
        let shared = previous.iter().zip(id).take_while(|(a, b)| a == b).count();
        put_varint(out, shared as u64);
        put_varint(out, (id.len() - shared) as u64);
        out.extend_from_slice(&id[shared..]);
        previous = id;
    }
}

/// The scaled integer of `v` at `power`, when `integer / power` gives `v` back exactly.
#[inline]
fn scaled(v: f64, power: f64) -> Option<i64> {
    let m = (v * power).round();
    if m.is_nan() || m.abs() >= EXACT {
        return None;
    }
    // Through the integer, as it is read back (so `-0.0` does not pass as `0`).
    let m = m as i64;
    ((m as f64 / power).to_bits() == v.to_bits()).then_some(m)
}

/// The fewest decimals every finite value of `values` needs (NaN aside); `None` when some
/// value needs more than nine or is not finite.
fn decimals(values: &[f64]) -> Option<usize> {
    let mut d = 0;
    for &v in values {
        if v.is_nan() || scaled(v, POWERS[d]).is_some() {
            continue;
        }
        d = (d + 1..POWERS.len()).find(|&e| scaled(v, POWERS[e]).is_some())?;
    }
    Some(d)
}

/// Writes a figure column: decimal integers (zigzag, shifted by one so that 0 is NaN) when
/// every value comes back exactly, eight bytes a value otherwise.
pub(super) fn put_figures(out: &mut Vec<u8>, values: &[f64]) {
    let start = out.len();
    if let Some(d) = decimals(values) {
        out.push(DECIMAL);
        out.push(d as u8);
        let power = POWERS[d];
        let mut exact = true;
        for &v in values {
            if v.is_nan() {
                out.push(0);
                continue;
            }
            let Some(m) = scaled(v, power) else {
                exact = false;
                break;
            };
            let zigzag = ((m << 1) ^ (m >> 63)) as u64;
            put_varint(out, zigzag + 1);
        }
        if exact {
            return;
        }
        out.truncate(start);
    }
    out.push(RAW);
    for v in values {
        out.extend_from_slice(&v.to_le_bytes());
    }
}

/// A reader over a blob.
pub(super) struct Reader<'a> {
    pub(super) bytes: &'a [u8],
    pub(super) at: usize,
}

impl<'a> Reader<'a> {
    pub(super) fn take(&mut self, n: usize) -> Result<&'a [u8], KeptError> {
        let end = self.at.checked_add(n).ok_or(KeptError("truncated"))?;
        let slice = self.bytes.get(self.at..end).ok_or(KeptError("truncated"))?;
        self.at = end;
        Ok(slice)
    }

    pub(super) fn array<const N: usize>(&mut self) -> Result<[u8; N], KeptError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    pub(super) fn varint(&mut self) -> Result<usize, KeptError> {
        let mut n: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.take(1)?[0];
            n |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return usize::try_from(n).map_err(|_| KeptError("length"));
            }
        }
        Err(KeptError("length"))
    }

    /// `rows` values of eight bytes.
    pub(super) fn raw(&mut self, rows: usize) -> Result<Vec<f64>, KeptError> {
        let raw = self.take(rows.checked_mul(8).ok_or(KeptError("too many rows"))?)?;
        Ok(raw
            .chunks_exact(8)
            .map(|c| {
                let mut b = [0u8; 8];
                b.copy_from_slice(c);
                f64::from_le_bytes(b)
            })
            .collect())
    }

    /// Front-coded ids (see [`put_ids`]) as their text and offsets.
    pub(super) fn ids(&mut self, rows: usize) -> Result<(Vec<u8>, Vec<u32>), KeptError> {
        let mut text: Vec<u8> = Vec::new();
        let mut offsets = Vec::with_capacity(rows.min(self.bytes.len()) + 1);
        offsets.push(0u32);
        let mut previous = 0usize;
        for _ in 0..rows {
            let shared = self.varint()?;
            let rest = self.varint()?;
            let start = text.len();
            if shared > start - previous {
                return Err(KeptError("ids"));
            }
            text.extend_from_within(previous..previous + shared);
            text.extend_from_slice(self.take(rest)?);
            previous = start;
            offsets.push(u32::try_from(text.len()).map_err(|_| KeptError("ids too long"))?);
        }
        Ok((text, offsets))
    }

    /// A figure column written by [`put_figures`].
    pub(super) fn figures(&mut self, rows: usize) -> Result<Vec<f64>, KeptError> {
        match self.take(1)?[0] {
            RAW => self.raw(rows),
            DECIMAL => {
                let power = *POWERS
                    .get(usize::from(self.take(1)?[0]))
                    .ok_or(KeptError("decimals"))?;
                let mut out = Vec::with_capacity(rows.min(self.bytes.len()));
                for _ in 0..rows {
                    let n = self.varint()? as u64;
                    out.push(if n == 0 {
                        f64::NAN
                    } else {
                        let z = n - 1;
                        let m = ((z >> 1) as i64) ^ -((z & 1) as i64);
                        m as f64 / power
                    });
                }
                Ok(out)
            }
            _ => Err(KeptError("figures")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(values: &[f64]) -> (Vec<f64>, usize) {
        let mut out = Vec::new();
        put_figures(&mut out, values);
        let mut r = Reader { bytes: &out, at: 0 };
        let back = r.figures(values.len()).expect("decodes");
        assert_eq!(r.at, out.len());
        (back, out.len())
    }

    fn same(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|(x, y)| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()))
    }

    #[test]
    fn decimal_figures_come_back_exactly_and_small() {
        let values = [0.12345, 0.9, f64::NAN, 1.0, 0.0, -2.5, 0.00001, 123456.789];
        let (back, len) = round_trip(&values);
        assert!(same(&back, &values), "{back:?}");
        assert!(len < values.len() * 8, "{len}");
        let labels = [1.0, 0.0, f64::NAN, 1.0];
        let (back, len) = round_trip(&labels);
        assert!(same(&back, &labels));
        assert_eq!(len, 2 + 4);
    }

    #[test]
    fn figures_that_are_not_decimal_are_kept_as_they_are() {
        for values in [
            vec![0.1 + 0.2, 0.5],
            vec![-0.0, 1.0],
            vec![f64::INFINITY, 1.0],
            vec![1e300, 2.0],
            vec![std::f64::consts::PI],
        ] {
            let (back, len) = round_trip(&values);
            assert!(same(&back, &values), "{values:?} -> {back:?}");
            assert_eq!(len, 1 + 8 * values.len());
        }
    }

    #[test]
    fn ids_are_front_coded_and_come_back() {
        let ids = ["w000-0000009", "w000-0000010", "", "é", "éa", "w"];
        let mut text = Vec::new();
        let mut offsets = vec![0u32];
        for id in ids {
            text.extend_from_slice(id.as_bytes());
            offsets.push(text.len() as u32);
        }
        let mut out = Vec::new();
        put_ids(&mut out, &text, &offsets);
        // The second id shares ten bytes with the first: two length bytes and "10".
        assert!(out.len() < text.len() + 2 * ids.len(), "{}", out.len());
        let mut r = Reader { bytes: &out, at: 0 };
        assert_eq!(r.ids(ids.len()).expect("decodes"), (text, offsets));
        // A shared prefix longer than the id before is refused.
        let mut r = Reader {
            bytes: &[0, 1, b'a', 2, 0],
            at: 0,
        };
        assert!(r.ids(2).is_err());
    }
}
