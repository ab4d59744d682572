//! One file per subcommand; each returns the process's exit status.

pub(crate) mod config;
pub(crate) mod demo;
pub(crate) mod docs;
pub(crate) mod generate;
pub(crate) mod history;
pub(crate) mod once;
pub(crate) mod profile_sql;
pub(crate) mod replay;
pub(crate) mod silence;
pub(crate) mod train;
