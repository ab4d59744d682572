//! Shared numeric building blocks.

pub mod isotonic;
