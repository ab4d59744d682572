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
/// Integers below this are exact as `f64`.
const EXACT: u64 = 1 << 53;
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
        let shared = shared_prefix(previous, id);
        put_varint(out, shared as u64);
        let rest = &id[shared..];
        put_varint(out, rest.len() as u64);
        if rest.len() <= 8 {
            // Byte by byte: a call to copy two or three bytes costs more than they do.
            for &b in rest {
                out.push(b);
            }
        } else {
            out.extend_from_slice(rest);
        }
        previous = id;
    }
}

/// How many bytes `a` and `b` start with in common (eight compared at a time).
#[inline]
fn shared_prefix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let mut i = 0;
    while let (Some(x), Some(y)) = (a.get(i..i + 8), b.get(i..i + 8)) {
        let mut p = [0u8; 8];
        let mut q = [0u8; 8];
        p.copy_from_slice(x);
        q.copy_from_slice(y);
        let diff = u64::from_le_bytes(p) ^ u64::from_le_bytes(q);
        if diff != 0 {
            return i + (diff.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < n && a[i] == b[i] {
        i += 1;
    }
    i
}

/// The scaled integer of `v` at `power`, when `integer / power` (as it is read back) gives `v`
/// exactly. Rounded by adding a half and truncating, which is one instruction where `round`
/// is a call: a value it rounds the wrong way (a half, or next to one) only fails the check.
#[inline]
fn scaled(v: f64, power: f64) -> Option<i64> {
    let x = v * power;
    let m = (x + 0.5f64.copysign(x)) as i64;
    (m.unsigned_abs() < EXACT && (m as f64 / power).to_bits() == v.to_bits()).then_some(m)
}

/// The fewest decimals (from `from`) that `v` needs, at most nine.
fn decimals(v: f64, from: usize) -> Option<usize> {
    (from..POWERS.len()).find(|&d| scaled(v, POWERS[d]).is_some())
}

/// Writes a figure column: decimal integers (zigzag, shifted by one so that 0 is NaN) when
/// every value comes back exactly, eight bytes a value otherwise. The decimals are those of the
/// first values; a later value that needs more starts the column again with those.
pub(super) fn put_figures(out: &mut Vec<u8>, values: &[f64]) {
    let start = out.len();
    let mut d = 0;
    'decimals: loop {
        out.truncate(start);
        out.reserve(2 + values.len() * 3);
        out.push(DECIMAL);
        out.push(d as u8);
        let power = POWERS[d];
        for &v in values {
            if v.is_nan() {
                out.push(0);
                continue;
            }
            let Some(m) = scaled(v, power) else {
                match decimals(v, d + 1) {
                    Some(more) => {
                        d = more;
                        continue 'decimals;
                    }
                    None => break 'decimals,
                }
            };
            let zigzag = ((m << 1) ^ (m >> 63)) as u64;
            put_varint(out, zigzag + 1);
        }
        return;
    }
    out.truncate(start);
    out.push(RAW);
    for v in values {
        out.extend_from_slice(&v.to_le_bytes());
    }
}

const LABELS_MAGIC: &[u8; 4] = b"MLL2";

/// A window's labels so far (NaN: none) as stored: `MLL2`, their count and their figures (one
/// byte a row for 0/1 labels), padded so the length is never a multiple of eight, which tells
/// it from the first format (eight bytes a row, NaN for none) that earlier versions wrote.
pub fn encode_labels(labels: &[f64]) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + labels.len());
    out.extend_from_slice(LABELS_MAGIC);
    put_varint(&mut out, labels.len() as u64);
    put_figures(&mut out, labels);
    if out.len().is_multiple_of(8) {
        out.push(0);
    }
    out
}

/// A window's labels from [`encode_labels`] (or the first format), filled with NaN or cut to
/// `rows`; none (all NaN) when they cannot be read.
pub fn decode_labels(bytes: Option<&[u8]>, rows: usize) -> Vec<f64> {
    let bytes = bytes.unwrap_or_default();
    let mut labels = if bytes.len().is_multiple_of(8) {
        Reader { bytes, at: 0 }
            .raw(bytes.len() / 8)
            .unwrap_or_default()
    } else {
        let mut r = Reader { bytes, at: 0 };
        let read = |r: &mut Reader| -> Result<Vec<f64>, KeptError> {
            if r.take(4)? != LABELS_MAGIC {
                return Err(KeptError("not a labels blob"));
            }
            let n = r.varint()?;
            r.figures(n)
        };
        read(&mut r).unwrap_or_else(|e| {
            log::warn!("{e}: the window's labels so far are read as none");
            Vec::new()
        })
    };
    labels.resize(rows, f64::NAN);
    labels
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
    fn labels_come_back_from_both_formats() {
        let labels = [1.0, f64::NAN, 0.0, 2.5];
        let blob = encode_labels(&labels);
        assert_ne!(blob.len() % 8, 0);
        assert!(same(&decode_labels(Some(&blob), 4), &labels));
        let first: Vec<u8> = labels.iter().flat_map(|v| v.to_le_bytes()).collect();
        assert!(same(&decode_labels(Some(&first), 4), &labels));
        let longer = decode_labels(Some(&blob), 6);
        assert!(same(&longer[..4], &labels) && longer[4..].iter().all(|v| v.is_nan()));
        for n in 0..20 {
            let labels = vec![1.0; n];
            let blob = encode_labels(&labels);
            assert_ne!(blob.len() % 8, 0, "{n}");
            assert!(same(&decode_labels(Some(&blob), n), &labels));
        }
        assert!(decode_labels(None, 2).iter().all(|v| v.is_nan()));
        assert!(decode_labels(Some(b"MLL2\x05"), 2)
            .iter()
            .all(|v| v.is_nan()));
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
