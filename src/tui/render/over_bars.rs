//! Over-threshold bars that read without colour: under `NO_COLOR` a sparkline bar beyond its
//! threshold is drawn in braille dots of the same height (`⣤` for `▄`) instead of a solid
//! block, so "over" is a shape, not only bold. With colour the bars stay as they are (red).
//!
//! A wrapper around ratatui's `Sparkline` rather than a sparkline of our own: the widget draws
//! the bars, this only swaps the glyphs of the columns it is told are over.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::{Sparkline, Widget};

/// The blocks a sparkline draws, lowest first, and the braille cell of the same height.
const BLOCKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
pub(crate) const DOTS: [char; 8] = ['⡀', '⣀', '⣄', '⣤', '⣦', '⣶', '⣷', '⣿'];

/// A sparkline whose over-threshold columns are dotted when `mark` is set.
pub(crate) struct MarkedSparkline {
    pub(crate) sparkline: Sparkline<'static>,
    /// Per column from the left: whether that bar is over its threshold.
    pub(crate) over: Vec<bool>,
    pub(crate) mark: bool,
}

impl Widget for MarkedSparkline {
    fn render(self, area: Rect, buf: &mut Buffer) {
        self.sparkline.render(area, buf);
        if !self.mark {
            return;
        }
        let area = area.intersection(buf.area);
        for (i, _) in self.over.iter().enumerate().filter(|(_, over)| **over) {
            let Ok(dx) = u16::try_from(i) else {
                break;
            };
            if dx >= area.width {
                break;
            }
            for y in area.top()..area.bottom() {
                let cell = &mut buf[(area.x + dx, y)];
                let dotted = cell
                    .symbol()
                    .chars()
                    .next()
                    .and_then(|c| BLOCKS.iter().position(|b| *b == c))
                    .map(|level| DOTS[level]);
                if let Some(dot) = dotted {
                    cell.set_char(dot);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::widgets::SparklineBar;

    fn draw(mark: bool) -> String {
        let area = Rect::new(0, 0, 3, 1);
        let mut buf = Buffer::empty(area);
        let sparkline = Sparkline::default()
            .data([2u64, 8, 4].map(SparklineBar::from).to_vec())
            .max(8);
        MarkedSparkline {
            sparkline,
            over: vec![false, true, false],
            mark,
        }
        .render(area, &mut buf);
        (0..3).map(|x| buf[(x, 0)].symbol().to_string()).collect()
    }

    #[test]
    fn over_bars_are_dotted_without_colour_and_solid_with_it() {
        assert_eq!(draw(true), "▂⣿▄");
        assert_eq!(draw(false), "▂█▄");
    }
}
