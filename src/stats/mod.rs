//! Numeric building blocks shared by every layer above `data`.

pub mod nonfinite;
