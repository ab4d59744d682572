//! One file per subcommand; each returns the process's exit status.

pub mod config;
pub mod demo;
pub mod docs;
pub mod generate;
pub mod history;
pub mod once;
pub mod profile_sql;
pub mod replay;
pub mod silence;
pub mod train;
