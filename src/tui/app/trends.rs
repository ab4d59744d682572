//! The trends pane's own state: its zoom (`+`/`-`), and the realised figures late labels give
//! to windows it already draws.
//!
//! Why realised figures go to the past snapshot too: travelling shows a window as the history
//! holds it, and the history holds its late labels as soon as they are joined.

use super::{App, Outcome};
use crate::app_event::RealisedWindow;

impl App {
    /// `+` (`step` 1) or `-` (−1); at either end the notice says so.
    pub(super) fn zoom(&mut self, step: i8) -> Outcome {
        match self.trend_zoom.stepped(step) {
            Some(zoom) => self.trend_zoom = zoom,
            None => {
                self.notice = Some(
                    if step > 0 {
                        "trends: zoomed in as far as they go"
                    } else {
                        "trends: zoomed out as far as they go"
                    }
                    .into(),
                )
            }
        }
        Outcome::redraw()
    }

    /// A window's realised figures from late labels, taken into the live trends (and the past
    /// ones shown, when the window is in them). A paused screen stays as it was.
    pub(super) fn realised_arrived(&mut self, realised: &RealisedWindow) -> Outcome {
        let mut changed = self.live.realise(realised);
        if let Some(past) = self.past_snapshot_mut() {
            changed |= past.realise(realised);
        }
        Outcome {
            redraw: changed,
            ..Outcome::default()
        }
    }
}
