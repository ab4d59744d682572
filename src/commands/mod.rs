//! One file per subcommand; each returns the process's exit status.

pub mod config;
pub mod demo;
pub mod docs;
pub mod generate;
pub mod history;
pub mod live;
pub mod once;
pub mod profile_sql;
pub mod replay;
pub mod retry;
pub mod setup;
pub mod silence;
pub mod train;
pub mod tui_mode;
pub mod worker;
