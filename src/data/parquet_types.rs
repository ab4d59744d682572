//! Parquet (Arrow) column types: which the monitor uses, and how an Arrow array goes straight
//! into a column builder.
//!
//! The rule that shapes this file: the same data as CSV and as Parquet must give the same
//! numbers, bit for bit. So each typed value is classified exactly as its CSV text would be
//! (see `builder.rs`): NaN is missing, an infinity invalid, a string is trimmed and `NA`/`null`
//! are missing. Values are converted as a CSV writer would print them and the CSV reader parse
//! them: integers and decimals to the nearest `f64` (correctly rounded, as parsing their text
//! is), and `float32` through its shortest decimal form (`0.1f32` is read as `0.1`, the text
//! pandas and pyarrow write for it, not as `0.10000000149…`).

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Decimal128Type, Decimal256Type, Decimal32Type, Decimal64Type,
    DurationMicrosecondType, DurationMillisecondType, DurationNanosecondType, DurationSecondType,
    Float16Type, Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, Int8Type,
    Time32MillisecondType, Time32SecondType, Time64MicrosecondType, Time64NanosecondType,
    TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType, UInt16Type, UInt32Type, UInt64Type, UInt8Type,
};
use arrow_array::{Array, ArrowPrimitiveType, PrimitiveArray};
use arrow_schema::{DataType, TimeUnit};

use super::builder::Builder;
use super::number;
use super::window::MISSING_CODE;

/// What the monitor makes of a column type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TypeClass {
    /// Integers of any width and sign, floats, decimals: numeric.
    Numeric,
    /// Strings (plain, large, view, dictionary-encoded): categorical.
    Text,
    /// Booleans: categorical `true`/`false` (1/0 as a prediction or target).
    Bool,
    /// Dates, times, timestamps, durations: left out of the features unless listed, then
    /// numeric (seconds).
    Temporal,
    /// A column with no values at all (Arrow's `Null` type): every cell missing.
    Null,
    /// Nested, binary and the rest: an error unless the column is excluded.
    Unsupported,
}

/// The class of an Arrow type.
pub(super) fn class_of(data_type: &DataType) -> TypeClass {
    use DataType::*;
    match data_type {
        Int8 | Int16 | Int32 | Int64 | UInt8 | UInt16 | UInt32 | UInt64 | Float16 | Float32
        | Float64 | Decimal32(..) | Decimal64(..) | Decimal128(..) | Decimal256(..) => {
            TypeClass::Numeric
        }
        Utf8 | LargeUtf8 | Utf8View => TypeClass::Text,
        Boolean => TypeClass::Bool,
        Date32 | Date64 | Time32(_) | Time64(_) | Timestamp(..) | Duration(_) => {
            TypeClass::Temporal
        }
        Null => TypeClass::Null,
        Dictionary(_, values) => match class_of(values) {
            TypeClass::Null => TypeClass::Unsupported,
            class => class,
        },
        _ => TypeClass::Unsupported,
    }
}

/// Whether a column of this class can fill a numeric column (a numeric feature, the
/// prediction, the target).
pub(super) fn fits_numeric(class: TypeClass) -> bool {
    matches!(
        class,
        TypeClass::Numeric | TypeClass::Bool | TypeClass::Temporal | TypeClass::Null
    )
}

/// Whether a column of this class can fill a categorical feature.
pub(super) fn fits_categorical(class: TypeClass) -> bool {
    matches!(class, TypeClass::Text | TypeClass::Bool | TypeClass::Null)
}

/// Pushes every cell of `array` into `builder`. The caller planned the builder's kind from the
/// type (`fits_numeric` / `fits_categorical`); an array of another type is an error message.
pub(super) fn push_array(array: &dyn Array, builder: &mut Builder) -> Result<(), String> {
    use DataType::*;
    let unexpected = || format!("unexpected Arrow type {}", array.data_type());
    match array.data_type() {
        Null => (0..array.len()).for_each(|_| builder.push_null()),
        Int8 => primitive::<Int8Type>(array, builder, f64::from)?,
        Int16 => primitive::<Int16Type>(array, builder, f64::from)?,
        Int32 => primitive::<Int32Type>(array, builder, f64::from)?,
        Int64 => primitive::<Int64Type>(array, builder, |v| v as f64)?,
        UInt8 => primitive::<UInt8Type>(array, builder, f64::from)?,
        UInt16 => primitive::<UInt16Type>(array, builder, f64::from)?,
        UInt32 => primitive::<UInt32Type>(array, builder, f64::from)?,
        UInt64 => primitive::<UInt64Type>(array, builder, |v| v as f64)?,
        Float16 => primitive::<Float16Type>(array, builder, |v| v.to_f64())?,
        Float32 => primitive::<Float32Type>(array, builder, f32_as_written)?,
        Float64 => primitive::<Float64Type>(array, builder, |v| v)?,
        Decimal32(_, scale) => {
            let scale = *scale;
            primitive::<Decimal32Type>(array, builder, |v| decimal(i128::from(v), scale))?
        }
        Decimal64(_, scale) => {
            let scale = *scale;
            primitive::<Decimal64Type>(array, builder, |v| decimal(i128::from(v), scale))?
        }
        Decimal128(_, scale) => {
            let scale = *scale;
            primitive::<Decimal128Type>(array, builder, |v| decimal(v, scale))?
        }
        Decimal256(_, scale) => {
            let scale = *scale;
            primitive::<Decimal256Type>(array, builder, |v| decimal_text(&v.to_string(), scale))?
        }
        Date32 => primitive::<Date32Type>(array, builder, |d| f64::from(d) * 86_400.0)?,
        Date64 => primitive::<Date64Type>(array, builder, |ms| ms as f64 / 1e3)?,
        Timestamp(unit, _) => match unit {
            TimeUnit::Second => primitive::<TimestampSecondType>(array, builder, |v| v as f64)?,
            TimeUnit::Millisecond => {
                primitive::<TimestampMillisecondType>(array, builder, |v| v as f64 / 1e3)?
            }
            TimeUnit::Microsecond => {
                primitive::<TimestampMicrosecondType>(array, builder, |v| v as f64 / 1e6)?
            }
            TimeUnit::Nanosecond => {
                primitive::<TimestampNanosecondType>(array, builder, |v| v as f64 / 1e9)?
            }
        },
        Time32(TimeUnit::Second) => primitive::<Time32SecondType>(array, builder, f64::from)?,
        Time32(_) => primitive::<Time32MillisecondType>(array, builder, |v| f64::from(v) / 1e3)?,
        Time64(TimeUnit::Nanosecond) => {
            primitive::<Time64NanosecondType>(array, builder, |v| v as f64 / 1e9)?
        }
        Time64(_) => primitive::<Time64MicrosecondType>(array, builder, |v| v as f64 / 1e6)?,
        Duration(unit) => match unit {
            TimeUnit::Second => primitive::<DurationSecondType>(array, builder, |v| v as f64)?,
            TimeUnit::Millisecond => {
                primitive::<DurationMillisecondType>(array, builder, |v| v as f64 / 1e3)?
            }
            TimeUnit::Microsecond => {
                primitive::<DurationMicrosecondType>(array, builder, |v| v as f64 / 1e6)?
            }
            TimeUnit::Nanosecond => {
                primitive::<DurationNanosecondType>(array, builder, |v| v as f64 / 1e9)?
            }
        },
        Boolean => {
            let bools = array.as_boolean_opt().ok_or_else(unexpected)?;
            if builder.is_categorical() {
                // Coded when first seen, so the category order is the CSV reader's.
                let mut codes: [Option<u32>; 2] = [None, None];
                for v in bools {
                    match v {
                        Some(v) => {
                            let text: &[u8] = if v { b"true" } else { b"false" };
                            let code =
                                *codes[usize::from(v)].get_or_insert_with(|| builder.code_of(text));
                            builder.push_code(code);
                        }
                        None => builder.push_null(),
                    }
                }
            } else {
                for v in bools {
                    match v {
                        Some(v) => builder.push_number(if v { 1.0 } else { 0.0 }),
                        None => builder.push_null(),
                    }
                }
            }
        }
        Utf8 => strings(
            array.as_string_opt::<i32>().ok_or_else(unexpected)?,
            builder,
        ),
        LargeUtf8 => strings(
            array.as_string_opt::<i64>().ok_or_else(unexpected)?,
            builder,
        ),
        Utf8View => strings(array.as_string_view_opt().ok_or_else(unexpected)?, builder),
        Dictionary(_, values) if class_of(values) == TypeClass::Text => {
            dictionary_strings(array, builder)?
        }
        Dictionary(_, values) => {
            // Dictionary-encoded numbers (rare): unpacked to their plain type first.
            let plain = arrow_cast::cast(array, values).map_err(|e| e.to_string())?;
            push_array(plain.as_ref(), builder)?
        }
        _ => return Err(unexpected()),
    }
    Ok(())
}

/// Pushes a primitive array's values converted by `convert`; nulls are missing.
fn primitive<T: ArrowPrimitiveType>(
    array: &dyn Array,
    builder: &mut Builder,
    convert: impl Fn(T::Native) -> f64,
) -> Result<(), String> {
    let array: &PrimitiveArray<T> = array
        .as_primitive_opt::<T>()
        .ok_or_else(|| format!("unexpected Arrow type {}", array.data_type()))?;
    let values = array.values();
    match array.nulls().filter(|n| n.null_count() > 0) {
        None => values.iter().for_each(|&v| builder.push_number(convert(v))),
        Some(nulls) => {
            for (i, &v) in values.iter().enumerate() {
                if nulls.is_valid(i) {
                    builder.push_number(convert(v));
                } else {
                    builder.push_null();
                }
            }
        }
    }
    Ok(())
}

/// Pushes string cells as the CSV reader pushes its cells (trimmed; missing spellings missing).
fn strings<'a>(array: impl IntoIterator<Item = Option<&'a str>>, builder: &mut Builder) {
    for cell in array {
        match cell {
            Some(s) => {
                let code = builder.code_of(s.as_bytes());
                builder.push_code(code);
            }
            None => builder.push_null(),
        }
    }
}

/// A dictionary-encoded string column: each distinct entry is coded once, when first used, so
/// codes are assigned in order of first appearance as for CSV (and unused entries never are).
fn dictionary_strings(array: &dyn Array, builder: &mut Builder) -> Result<(), String> {
    let unexpected = || format!("unexpected Arrow type {}", array.data_type());
    let dictionary = array.as_any_dictionary_opt().ok_or_else(unexpected)?;
    let values = dictionary.values();
    if values.is_empty() {
        // Only nulls (keys into an empty dictionary cannot be valid).
        (0..array.len()).for_each(|_| builder.push_null());
        return Ok(());
    }
    let text: Vec<Option<&str>> = match values.data_type() {
        DataType::Utf8 => values
            .as_string_opt::<i32>()
            .ok_or_else(unexpected)?
            .iter()
            .collect(),
        DataType::LargeUtf8 => values
            .as_string_opt::<i64>()
            .ok_or_else(unexpected)?
            .iter()
            .collect(),
        DataType::Utf8View => values
            .as_string_view_opt()
            .ok_or_else(unexpected)?
            .iter()
            .collect(),
        _ => return Err(unexpected()),
    };
    const UNCODED: u32 = MISSING_CODE - 1;
    let mut codes = vec![UNCODED; text.len()];
    let keys = dictionary.normalized_keys();
    let nulls = array.logical_nulls();
    for (i, &key) in keys.iter().enumerate() {
        if nulls.as_ref().is_some_and(|n| n.is_null(i)) {
            builder.push_null();
            continue;
        }
        let Some(slot) = codes.get_mut(key) else {
            return Err(format!("dictionary key {key} out of range"));
        };
        if *slot == UNCODED {
            *slot = match text.get(key).copied().flatten() {
                Some(s) => builder.code_of(s.as_bytes()),
                None => MISSING_CODE,
            };
        }
        builder.push_code(*slot);
    }
    Ok(())
}

/// 10^k for k = 0..=22, all exact in an `f64`.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// A decimal `unscaled * 10^-scale` as the nearest `f64`, as parsing its text gives: exact
/// operands and one division when the unscaled value fits 53 bits (Clinger's fast path),
/// otherwise through the text.
fn decimal(unscaled: i128, scale: i8) -> f64 {
    if unscaled.unsigned_abs() <= 1 << 53 {
        if let Some(&p) = usize::try_from(scale).ok().and_then(|s| POW10.get(s)) {
            return unscaled as f64 / p;
        }
    }
    decimal_text(&unscaled.to_string(), scale)
}

/// The decimal whose unscaled digits are `digits` (with an optional `-`), parsed as text.
fn decimal_text(digits: &str, scale: i8) -> f64 {
    let (sign, digits) = match digits.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", digits),
    };
    let text = if scale <= 0 {
        format!(
            "{sign}{digits}{}",
            "0".repeat(usize::from(scale.unsigned_abs()))
        )
    } else {
        let scale = scale as usize;
        let padded = format!("{digits:0>width$}", width = scale + 1);
        let (int, frac) = padded.split_at(padded.len() - scale);
        format!("{sign}{int}.{frac}")
    };
    number::parse_f64(text.as_bytes()).unwrap_or(f64::NAN)
}

/// A `float32` as the `f64` its shortest decimal text parses to (see the module docs).
fn f32_as_written(v: f32) -> f64 {
    if !v.is_finite() {
        return f64::from(v);
    }
    use std::io::Write;
    let mut text = [0u8; 64];
    let mut cursor = std::io::Cursor::new(&mut text[..]);
    if write!(cursor, "{v}").is_err() {
        return f64::from(v);
    }
    let len = cursor.position() as usize;
    number::parse_f64(&text[..len]).unwrap_or(f64::from(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_round_as_their_text_parses() {
        for (unscaled, scale, text) in [
            (12345i128, 2i8, "123.45"),
            (-5, 1, "-0.5"),
            (7, 0, "7"),
            (7, -3, "7000"),
            (1, 30, "0.000000000000000000000000000001"),
            (
                123_456_789_012_345_678_901_234_567,
                9,
                "123456789012345678.901234567",
            ),
            ((1 << 53) + 1, 3, "9007199254740.993"),
        ] {
            let want: f64 = text.parse().expect("parses");
            assert_eq!(decimal(unscaled, scale).to_bits(), want.to_bits(), "{text}");
        }
    }

    #[test]
    fn float32_reads_as_its_shortest_text() {
        assert_eq!(f32_as_written(0.1), 0.1);
        assert_eq!(f32_as_written(-3.25), -3.25);
        assert_eq!(f32_as_written(f32::MAX), 3.4028235e38);
        assert_eq!(f32_as_written(1e-45), 1e-45);
        assert!(f32_as_written(f32::NAN).is_nan());
        assert_eq!(f32_as_written(f32::INFINITY), f64::INFINITY);
    }

    #[test]
    fn classes() {
        use arrow_schema::Field;
        use std::sync::Arc;
        assert_eq!(class_of(&DataType::UInt64), TypeClass::Numeric);
        assert_eq!(class_of(&DataType::Decimal128(10, 2)), TypeClass::Numeric);
        assert_eq!(
            class_of(&DataType::Dictionary(
                Box::new(DataType::Int32),
                Box::new(DataType::Utf8)
            )),
            TypeClass::Text
        );
        assert_eq!(
            class_of(&DataType::Timestamp(TimeUnit::Microsecond, None)),
            TypeClass::Temporal
        );
        let list = DataType::List(Arc::new(Field::new("item", DataType::Int64, true)));
        assert_eq!(class_of(&list), TypeClass::Unsupported);
        assert_eq!(class_of(&DataType::Binary), TypeClass::Unsupported);
    }
}
