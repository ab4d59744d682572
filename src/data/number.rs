//! Float parsing for numeric cells, with a fast path for plain decimals.
//!
//! Exporters write numbers as `[+-]digits[.digits]` (`6.0`, `-3.2829382718371926`). For that form
//! with at most 19 significant digits the mantissa fits a `u64`; when it is at most 2^53 and the
//! decimal exponent is within 10^22 (always, since there is no exponent part and at most 19
//! fraction digits), `m as f64 / 10^k` is one correctly rounded IEEE operation on exact operands,
//! so it equals what `str::parse::<f64>` returns (Clinger's fast path). Everything else goes to
//! `fast_float2`, which is correctly rounded too, so results never depend on the path taken.

/// Largest mantissa that converts to `f64` exactly (and so keeps the division correctly rounded).
const MAX_EXACT_MANTISSA: u64 = 1 << 53;

/// Powers of ten that are exact in `f64` (10^22 is the last one).
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// Most significant digits whose value always fits a `u64` (10^19 - 1 < 2^64).
const MAX_DIGITS: usize = 19;

/// The value of eight ASCII digits at `bytes[i..i + 8]`, if there are eight digits there.
#[inline]
fn eight_digits(bytes: &[u8], i: usize) -> Option<u64> {
    let word: [u8; 8] = bytes.get(i..i + 8)?.try_into().ok()?;
    let v = u64::from_le_bytes(word);
    // Every byte in b'0'..=b'9': adding 0x46 keeps it below 0x80 and subtracting 0x30 does not
    // borrow.
    let a = v.wrapping_add(0x4646_4646_4646_4646);
    let b = v.wrapping_sub(0x3030_3030_3030_3030);
    if (a | b) & 0x8080_8080_8080_8080 != 0 {
        return None;
    }
    // SWAR: pairs, then quads, then the eight digits (the first byte is the most significant).
    let v = b;
    let v = (v * 10) + (v >> 8);
    let v1 = (v & 0x0000_00FF_0000_00FF).wrapping_mul(0x000F_4240_0000_0064);
    let v2 = ((v >> 16) & 0x0000_00FF_0000_00FF).wrapping_mul(0x0000_2710_0000_0001);
    Some(u64::from((v1.wrapping_add(v2) >> 32) as u32))
}

/// Reads the run of ASCII digits starting at `i` into `m` (wrapping: callers discard `m` when the
/// run is longer than [`MAX_DIGITS`]); returns the index after the run.
#[inline]
fn digit_run(bytes: &[u8], mut i: usize, m: &mut u64) -> usize {
    while let Some(d) = eight_digits(bytes, i) {
        *m = m.wrapping_mul(100_000_000).wrapping_add(d);
        i += 8;
    }
    while let Some(&b) = bytes.get(i) {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        *m = m.wrapping_mul(10).wrapping_add(u64::from(d));
        i += 1;
    }
    i
}

/// Parses the plain decimal `[+-]digits[.digits]` (at least one digit, at most 19) at the start
/// of `bytes`: the value and the number of bytes it spans. `None` when the start is not of that
/// form or has more digits; the caller decides whether what follows ends the cell (an `e` after
/// the digits, for one, means the cell is not a plain decimal).
#[inline]
pub fn parse_decimal_prefix(bytes: &[u8]) -> Option<(f64, usize)> {
    let negative = bytes.first() == Some(&b'-');
    let start = usize::from(matches!(bytes.first(), Some(b'-' | b'+')));
    let mut mantissa = 0u64;
    let mut i = digit_run(bytes, start, &mut mantissa);
    let mut digits = i - start;
    let mut fraction = 0;
    if bytes.get(i) == Some(&b'.') {
        let after_dot = i + 1;
        i = digit_run(bytes, after_dot, &mut mantissa);
        fraction = i - after_dot;
        digits += fraction;
    }
    if digits == 0 || digits > MAX_DIGITS {
        return None;
    }
    if mantissa > MAX_EXACT_MANTISSA {
        // Not exact as an f64: let the full parser round it (the sign is part of the slice).
        return fast_float2::parse::<f64, _>(&bytes[..i])
            .ok()
            .map(|v| (v, i));
    }
    // `fraction <= 19 < POW10.len()`, and both operands are exact: one rounding.
    let magnitude = mantissa as f64 / POW10[fraction];
    Some((if negative { -magnitude } else { magnitude }, i))
}

/// Parses a whole (already trimmed) cell as `fast_float2::parse` does: the same cells accepted,
/// the same values, which are `str::parse::<f64>`'s.
#[inline]
pub fn parse_f64(cell: &[u8]) -> Option<f64> {
    match parse_decimal_prefix(cell) {
        Some((v, len)) if len == cell.len() => Some(v),
        _ => fast_float2::parse::<f64, _>(cell).ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn same(s: &str) {
        let ours = parse_f64(s.as_bytes());
        let reference = fast_float2::parse::<f64, _>(s.as_bytes()).ok();
        assert_eq!(ours.is_some(), reference.is_some(), "accept {s:?}");
        if let Some(v) = ours {
            assert!(
                v.to_bits() == reference.map_or(0, f64::to_bits)
                    || (v.is_nan() && reference.is_some_and(f64::is_nan)),
                "{s:?}: {v:?} vs fast_float2 {reference:?}"
            );
            match s.parse::<f64>() {
                Ok(std) => assert!(
                    v.to_bits() == std.to_bits() || (v.is_nan() && std.is_nan()),
                    "{s:?}: {v:?} vs std {std:?}"
                ),
                // std spells a few non-finite forms differently; finite values must agree.
                Err(_) => assert!(!v.is_finite(), "{s:?}: {v:?} rejected by std"),
            }
        }
        if let Some((v, len)) = parse_decimal_prefix(s.as_bytes()) {
            let prefix = &s[..len];
            let std = prefix
                .parse::<f64>()
                .expect("a plain decimal prefix parses");
            assert_eq!(v.to_bits(), std.to_bits(), "prefix {prefix:?} of {s:?}");
        }
    }

    #[test]
    fn edge_cases_match_std() {
        for s in [
            "0",
            "-0",
            "-0.0",
            "+0",
            "0.0",
            "1e22",
            "1e23",
            "9007199254740992",
            "9007199254740993",
            "9007199254740994",
            "-9007199254740993",
            ".5",
            "5.",
            "-.5",
            "+.5",
            ".",
            "-.",
            "+",
            "-",
            "",
            "+1",
            "--1",
            "+-1",
            "1_0",
            "0x10",
            "inf",
            "-inf",
            "infinity",
            "nan",
            "NaN",
            "-nan",
            " 1",
            "1 ",
            "1..2",
            "1.2.3",
            "1e",
            "1e+",
            "1e-5",
            "1E5",
            "0.1",
            "0.2",
            "0.3",
            "-3.2829382718371926",
            "3.633378992289244",
            "123456789012345678",
            "1234567890123456789",
            "12345678901234567890",
            "9999999999999999999",
            "99999999999999999999",
            "18446744073709551615",
            "18446744073709551616",
            "0.0000000000000000001",
            "0.00000000000000000001",
            "00000000000000000000001",
            "0000000000000000000.5",
            "1.7976931348623157e308",
            "1e400",
            "4.9e-324",
            "6.0",
            "11.0",
        ] {
            same(s);
        }
    }

    #[test]
    fn sign_of_zero_is_kept() {
        for s in ["-0", "-0.0", "-.0", "-0."] {
            let v = parse_f64(s.as_bytes()).expect("parses");
            assert_eq!(v.to_bits(), (-0.0f64).to_bits(), "{s:?}");
        }
        assert_eq!(parse_f64(b"0").map(f64::to_bits), Some(0));
    }

    #[test]
    fn prefix_stops_before_what_follows() {
        assert_eq!(parse_decimal_prefix(b"1.5,2"), Some((1.5, 3)));
        assert_eq!(parse_decimal_prefix(b"-12\n"), Some((-12.0, 3)));
        assert_eq!(parse_decimal_prefix(b"7e3"), Some((7.0, 1)));
        assert_eq!(parse_decimal_prefix(b"x"), None);
        assert_eq!(parse_decimal_prefix(b"-,"), None);
    }

    fn decimal_like() -> impl Strategy<Value = String> {
        // Weighted towards digits so most strings are plain decimals of 1-25 characters.
        let token = prop_oneof![
            12 => "[0-9]",
            2 => Just(".".to_string()),
            1 => "[-+eE]",
            1 => "[ _xXa-fin,\r\n]",
        ];
        prop::collection::vec(token, 1..26).prop_map(|t| t.concat())
    }

    fn plain_decimal() -> impl Strategy<Value = String> {
        ("[-+]?", "[0-9]{0,20}", proptest::option::of("[0-9]{0,20}")).prop_map(
            |(sign, int, frac)| match frac {
                Some(f) => format!("{sign}{int}.{f}"),
                None => format!("{sign}{int}"),
            },
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        #[test]
        fn random_strings_match_std(s in decimal_like()) {
            same(&s);
        }

        #[test]
        fn plain_decimals_match_std(s in plain_decimal()) {
            same(&s);
        }

        #[test]
        fn shortest_round_trip_floats_match_std(bits in any::<u64>(), small in -1e6f64..1e6) {
            for v in [f64::from_bits(bits), small] {
                if v.is_finite() {
                    // Both the shortest form and a fixed 17-digit form, like pandas writes.
                    same(&format!("{v}"));
                    same(&format!("{v:.17}"));
                    same(&format!("{v:.3}"));
                }
            }
        }
    }
}
