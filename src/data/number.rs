//! Float parsing for numeric cells, with a fast path for plain decimals.
//!
//! Exporters write numbers as `[+-]digits[.digits]` (`6.0`, `-3.2829382718371926`). For that form
//! with at most 19 digits the mantissa `m` fits a `u64` and the value is `m / 10^k` with `k <= 19`.
//! Up to 2^53, `m as f64 / 10^k` is one correctly rounded IEEE operation on exact operands
//! (Clinger's fast path); above (the 17-digit shortest forms Python and pandas write), the
//! Eisel–Lemire algorithm rounds it directly, and in this exponent range it always decides.
//! Either way the result is what `str::parse::<f64>` returns. Everything else (exponents, more
//! digits, `inf`) goes to `fast_float2`, correctly rounded too, so results never depend on the
//! path taken. Digits are read eight bytes at a time (SWAR), since parsing is most of the cost of
//! a window.

/// Largest mantissa that converts to `f64` exactly (and so keeps the division correctly rounded).
const MAX_EXACT_MANTISSA: u64 = 1 << 53;

/// Powers of ten that are exact in `f64` (10^22 is the last one).
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// Powers of ten for appending up to eight digits to a mantissa.
const POW10_U64: [u64; 9] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
];

/// Most significant digits whose value always fits a `u64` (10^19 - 1 < 2^64).
const MAX_DIGITS: usize = 19;

/// 5^q for q = 0, -1, ..., -19 (index -q) as 128 bits (high word, low word), normalised so the
/// top bit is set and rounded up: fast_float's table, checked against exact fractions by
/// `pow5_table_is_exact` below.
const POW5_128: [(u64, u64); 20] = [
    (0x8000_0000_0000_0000, 0x0000_0000_0000_0000),
    (0xcccc_cccc_cccc_cccc, 0xcccc_cccc_cccc_cccd),
    (0xa3d7_0a3d_70a3_d70a, 0x3d70_a3d7_0a3d_70a4),
    (0x8312_6e97_8d4f_df3b, 0x645a_1cac_0831_26ea),
    (0xd1b7_1758_e219_652b, 0xd3c3_6113_404e_a4a9),
    (0xa7c5_ac47_1b47_8423, 0x0fcf_80dc_3372_1d54),
    (0x8637_bd05_af6c_69b5, 0xa63f_9a49_c2c1_b110),
    (0xd6bf_94d5_e57a_42bc, 0x3d32_9076_0469_1b4d),
    (0xabcc_7711_8461_cefc, 0xfdc2_0d2b_36ba_7c3e),
    (0x8970_5f41_36b4_a597, 0x3168_0a88_f895_3031),
    (0xdbe6_fece_bded_d5be, 0xb573_440e_5a88_4d1c),
    (0xafeb_ff0b_cb24_aafe, 0xf78f_69a5_1539_d749),
    (0x8cbc_cc09_6f50_88cb, 0xf93f_87b7_442e_45d4),
    (0xe12e_1342_4bb4_0e13, 0x2865_a5f2_06b0_6fba),
    (0xb424_dc35_095c_d80f, 0x5384_84c1_9ef3_8c95),
    (0x901d_7cf7_3ab0_acd9, 0x0f9d_3701_4bf6_0a11),
    (0xe695_94be_c44d_e15b, 0x4c2e_be68_7989_a9b4),
    (0xb877_aa32_36a4_b449, 0x09be_feb9_fad4_87c3),
    (0x9392_ee8e_921d_5d07, 0x3aff_322e_6243_9fd0),
    (0xec1e_4a7d_b695_61a5, 0x2b31_e9e3_d06c_32e6),
];

/// Explicit mantissa bits of an `f64`.
const MANTISSA_BITS: i32 = 52;

/// `mantissa / 10^k`, correctly rounded, for `0 < mantissa < 2^64` and `k <= 19`: the
/// Eisel–Lemire algorithm as fast_float's `compute_float` runs it, specialised to this range.
/// There every result is a normal number and the algorithm always decides (its inconclusive
/// case needs a decimal exponent outside -27..=55), so no slow fallback exists.
#[inline]
fn eisel_lemire(mantissa: u64, k: usize) -> f64 {
    let q = -(k as i32);
    let lz = mantissa.leading_zeros();
    let w = mantissa << lz;
    let (hi5, lo5) = POW5_128[k];
    let full = u128::from(w) * u128::from(hi5);
    let (mut lo, mut hi) = (full as u64, (full >> 64) as u64);
    // 55 bits of precision are needed (52 + 3); refine with the low word only when the
    // truncated bits could carry into them.
    const MASK: u64 = u64::MAX >> (MANTISSA_BITS + 3);
    if hi & MASK == MASK {
        let second_hi = ((u128::from(w) * u128::from(lo5)) >> 64) as u64;
        lo = lo.wrapping_add(second_hi);
        if second_hi > lo {
            hi += 1;
        }
    }
    let upperbit = (hi >> 63) as i32;
    let shift = upperbit + 64 - MANTISSA_BITS - 3;
    let mut m = hi >> shift;
    // floor(q * log2(10)) + 63, then the bias of 1023.
    let mut power2 = ((q.wrapping_mul(152_170 + 65_536) >> 16) + 63) + upperbit - lz as i32 + 1023;
    // Exactly halfway between two floats: round to even (possible only for q >= -4).
    if lo <= 1 && q >= -4 && m & 3 == 1 && (m << shift) == hi {
        m &= !1;
    }
    m += m & 1;
    m >>= 1;
    if m >= (2 << MANTISSA_BITS) {
        m = 1 << MANTISSA_BITS;
        power2 += 1;
    }
    m &= !(1 << MANTISSA_BITS);
    f64::from_bits(m | ((power2 as u64) << MANTISSA_BITS))
}

/// The eight bytes at `bytes[i..i + 8]` as a little-endian word, if there are eight.
#[inline]
fn load8(bytes: &[u8], i: usize) -> Option<u64> {
    let word: [u8; 8] = bytes.get(i..i + 8)?.try_into().ok()?;
    Some(u64::from_le_bytes(word))
}

/// How many bytes of `v`, from its first (lowest), are ASCII digits, and `v` minus `'0'` in each
/// byte (the digit values, for those bytes).
#[inline]
fn leading_digits(v: u64) -> (usize, u64) {
    // A digit byte plus 0x46 stays below 0x80 and minus 0x30 does not borrow. A non-digit byte
    // sets its top bit in one of the two; carries and borrows only reach the bytes above it, so
    // the lowest flagged byte is exactly the first non-digit.
    let a = v.wrapping_add(0x4646_4646_4646_4646);
    let b = v.wrapping_sub(0x3030_3030_3030_3030);
    let flags = (a | b) & 0x8080_8080_8080_8080;
    ((flags.trailing_zeros() / 8) as usize, b)
}

/// The value of eight digit values (0..=9 per byte, the first byte most significant).
#[inline]
fn eight_digit_value(v: u64) -> u64 {
    // SWAR: pairs, then quads, then the eight digits.
    let v = (v * 10) + (v >> 8);
    let v1 = (v & 0x0000_00FF_0000_00FF).wrapping_mul(0x000F_4240_0000_0064);
    let v2 = ((v >> 16) & 0x0000_00FF_0000_00FF).wrapping_mul(0x0000_2710_0000_0001);
    u64::from((v1.wrapping_add(v2) >> 32) as u32)
}

/// Reads the run of ASCII digits starting at `i` into `m` (wrapping: callers discard `m` when the
/// run is longer than [`MAX_DIGITS`]); returns the index after the run. Eight bytes at a time: a
/// partial run of `n` digits is shifted up so the bytes before it read as leading zeros.
#[inline]
fn digit_run(bytes: &[u8], mut i: usize, m: &mut u64) -> usize {
    while let Some(word) = load8(bytes, i) {
        let (n, values) = leading_digits(word);
        if n == 8 {
            *m = m
                .wrapping_mul(100_000_000)
                .wrapping_add(eight_digit_value(values));
            i += 8;
            continue;
        }
        if n > 0 {
            let digits = eight_digit_value(values << (8 * (8 - n)));
            *m = m.wrapping_mul(POW10_U64[n]).wrapping_add(digits);
        }
        return i + n;
    }
    // The last few bytes of the buffer.
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
pub(crate) fn parse_decimal_prefix(bytes: &[u8]) -> Option<(f64, usize)> {
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
    // `fraction <= 19`. Up to 2^53 both operands are exact and the division rounds once
    // (Clinger); above, Eisel–Lemire rounds `mantissa * 10^-fraction` directly.
    let magnitude = if mantissa <= MAX_EXACT_MANTISSA {
        mantissa as f64 / POW10[fraction]
    } else {
        eisel_lemire(mantissa, fraction)
    };
    Some((if negative { -magnitude } else { magnitude }, i))
}

/// Parses a whole (already trimmed) cell as `fast_float2::parse` does: the same cells accepted,
/// the same values, which are `str::parse::<f64>`'s.
#[inline]
pub(crate) fn parse_f64(cell: &[u8]) -> Option<f64> {
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

    /// Each table entry is the 128-bit ceiling of 2^e / 5^k, normalised to [2^127, 2^128), with
    /// the 5^0 entry exactly 2^127. Checked with exact integer arithmetic: entry * 5^k lies in
    /// [2^e, 2^e + 5^k).
    #[test]
    fn pow5_table_is_exact() {
        assert_eq!(POW5_128[0], (1 << 63, 0));
        for (k, &(hi, lo)) in POW5_128.iter().enumerate().skip(1) {
            let entry = (u128::from(hi) << 64) | u128::from(lo);
            assert!(entry >> 127 == 1, "k = {k}: not normalised");
            let p = 5u128.pow(k as u32);
            // entry * p as a 192-bit number in three 64-bit limbs.
            let lo_prod = (entry & u128::from(u64::MAX)) * p;
            let hi_prod = (entry >> 64) * p + (lo_prod >> 64);
            let limbs = [lo_prod as u64, hi_prod as u64, (hi_prod >> 64) as u64];
            // The product is 2^e + r with 0 < r < 5^k < 2^45: a power of two in the top limb
            // (it is at least 2^129), nothing in the middle one, r in the lowest.
            assert!(
                limbs[2].is_power_of_two(),
                "k = {k}: not 2^e plus a remainder"
            );
            assert_eq!(limbs[1], 0, "k = {k}: remainder too large");
            assert!(limbs[0] > 0, "k = {k}: 5^k never divides a power of two");
            assert!(u128::from(limbs[0]) < p, "k = {k}: not the ceiling");
        }
    }

    #[test]
    fn eisel_lemire_matches_std_on_long_mantissas() {
        for s in [
            "3.6333789922892445",
            "0.9999999999999999",
            "9.999999999999999999",
            "1844674407370955161.5",
            "0.9007199254740993",
            "9007199254740993",
            "9007199254740995",
            "0.12345678901234567",
            "0.0000000000000000001",
            "1.0000000000000000001",
            "4503599627370496.5",
            "4503599627370497.5",
            "9007199254740993.0",
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

    /// Mantissas above 2^53 with every possible number of fraction digits (the Eisel–Lemire
    /// path), including exact halfway cases like `4503599627370497.5`.
    fn long_mantissa() -> impl Strategy<Value = String> {
        ((1u64 << 53)..u64::MAX, 0usize..=19, any::<bool>()).prop_map(|(m, k, neg)| {
            let digits = m.to_string();
            let digits = &digits[..digits.len().min(19)];
            let k = k.min(digits.len());
            let (int, frac) = digits.split_at(digits.len() - k);
            let sign = if neg { "-" } else { "" };
            format!("{sign}{int}.{frac}")
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        #[test]
        fn long_mantissas_match_std(s in long_mantissa()) {
            same(&s);
        }

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
