//! Times as people read them: in the local zone (chrono's `Local`, which honours `TZ`), with
//! the date only where it is not today's. One formatter for the TUI, `history show` and `history
//! incidents`, so a time reads the same wherever it is printed.
//!
//! Every function takes the zone (and "now") it works in: the program passes `Local`, tests a
//! fixed offset, so no test depends on the machine's `TZ`.

use chrono::{DateTime, FixedOffset, Local, Offset, TimeZone, Utc};

/// The zone times are shown in: the machine's (`TZ`), or a fixed offset (tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Zone {
    Local,
    /// Tests' zone: `TZ` never decides what they see.
    #[cfg_attr(not(test), allow(dead_code))]
    Fixed(FixedOffset),
}

impl Zone {
    /// UTC, as a fixed zone.
    #[cfg(test)]
    pub(crate) fn utc() -> Self {
        Zone::Fixed(Utc.fix())
    }

    /// The zone's offset at `t` (it changes with daylight-saving time).
    pub(crate) fn offset_at(self, t: DateTime<Utc>) -> FixedOffset {
        match self {
            Zone::Local => Local.offset_from_utc_datetime(&t.naive_utc()).fix(),
            Zone::Fixed(offset) => offset,
        }
    }
}

/// An offset as a heading names it: `UTC`, `UTC+09:00`, `UTC-05:00`.
pub(crate) fn zone_name(offset: FixedOffset) -> String {
    if offset.local_minus_utc() == 0 {
        "UTC".to_string()
    } else {
        format!("UTC{offset}")
    }
}

/// `2026-12-07 14:05` in `tz`, followed by its offset (` UTC+02:00`) when that differs from
/// `heading`, the offset a table's heading already names (a daylight-saving change inside it).
pub(crate) fn date_time<Tz: TimeZone>(
    t: DateTime<Utc>,
    tz: &Tz,
    heading: Option<FixedOffset>,
) -> String {
    let local = t.with_timezone(tz);
    let offset = local.offset().fix();
    let text = local.naive_local().format("%Y-%m-%d %H:%M").to_string();
    match heading {
        Some(zone) if zone != offset => format!("{text} {}", zone_name(offset)),
        _ => text,
    }
}

/// `14:05` when `t` falls on the same local day as `now`, else [`date_time`]'s
/// `2026-12-06 23:50`.
pub(crate) fn time_or_date(t: DateTime<Utc>, now: DateTime<Utc>, zone: Zone) -> String {
    let offset = zone.offset_at(t);
    let local = t.with_timezone(&offset);
    let today = now.with_timezone(&zone.offset_at(now)).date_naive();
    if local.date_naive() == today {
        local.format("%H:%M").to_string()
    } else {
        date_time(t, &offset, None)
    }
}

/// Five cells for a compact row: `14:05` today, else the month and day, `12-06`.
pub(crate) fn compact(t: DateTime<Utc>, now: DateTime<Utc>, zone: Zone) -> String {
    let local = t.with_timezone(&zone.offset_at(t));
    let today = now.with_timezone(&zone.offset_at(now)).date_naive();
    if local.date_naive() == today {
        local.format("%H:%M").to_string()
    } else {
        local.format("%m-%d").to_string()
    }
}

/// The status line's clock: `14:05 UTC+01:00` (`14:05 UTC` in UTC).
pub(crate) fn clock(now: DateTime<Utc>, zone: Zone) -> String {
    let offset = zone.offset_at(now);
    format!(
        "{} {}",
        now.with_timezone(&offset).format("%H:%M"),
        zone_name(offset)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, day, hour, minute, 0)
            .single()
            .expect("a valid time")
    }

    fn east(hours: i32) -> Zone {
        Zone::Fixed(FixedOffset::east_opt(hours * 3600).expect("a valid offset"))
    }

    #[test]
    fn today_is_a_time_and_another_day_has_its_date_in_the_zone_given() {
        let now = at(7, 20, 30);
        assert_eq!(time_or_date(at(7, 14, 5), now, Zone::utc()), "14:05");
        assert_eq!(
            time_or_date(at(6, 23, 50), now, Zone::utc()),
            "2026-12-06 23:50"
        );
        // In Tokyo (UTC+9) 20:30 UTC is already the 8th: 14:05 UTC is 23:05 of the 7th there.
        assert_eq!(time_or_date(at(7, 14, 5), now, east(9)), "2026-12-07 23:05");
        assert_eq!(time_or_date(at(7, 16, 0), now, east(9)), "01:00");
        assert_eq!(compact(at(7, 16, 0), now, east(9)), "01:00");
        assert_eq!(compact(at(6, 23, 50), now, Zone::utc()), "12-06");
        // West of Greenwich the day begins later.
        assert_eq!(
            time_or_date(at(7, 4, 0), at(7, 6, 0), east(-5)),
            "2026-12-06 23:00"
        );
    }

    #[test]
    fn the_clock_and_headings_name_the_zone() {
        assert_eq!(clock(at(7, 20, 30), Zone::utc()), "20:30 UTC");
        assert_eq!(clock(at(7, 20, 30), east(1)), "21:30 UTC+01:00");
        assert_eq!(clock(at(7, 20, 30), east(-5)), "15:30 UTC-05:00");
        let tokyo = FixedOffset::east_opt(9 * 3600).expect("a valid offset");
        assert_eq!(
            date_time(at(7, 14, 5), &tokyo, Some(tokyo)),
            "2026-12-07 23:05"
        );
        assert_eq!(
            date_time(at(7, 14, 5), &tokyo, Some(Utc.fix())),
            "2026-12-07 23:05 UTC+09:00"
        );
    }
}
