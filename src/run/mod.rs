//! The run layer: what turns a resolved [`crate::plan::RunPlan`] into processed windows,
//! delivered pages and a live screen. The pipeline reads, evaluates and records each window;
//! `setup` builds its delivery (history, sinks, metrics); `worker` and `retry` drive it off the
//! screen's thread; `live` and `tui_mode` are the two live loops.
//!
//! It sits between the subcommands above (which parse and hand over) and the services below
//! (`watch`, `history`, `sinks`, `prometheus`, `output`, `tui`), which know nothing of each
//! other's wiring. Nothing here imports `commands` or `cli`.

pub(crate) mod late_labels;
pub(crate) mod live;
pub(crate) mod pipeline;
pub(crate) mod retry;
pub(crate) mod setup;
pub(crate) mod tui_mode;
pub(crate) mod worker;
