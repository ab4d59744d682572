//! The problem tracker: paging conditions in, problem changes out (see the module above).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use super::conditions::{self, Condition};
use super::{ChangeKind, Incident, IncidentChange, IncidentKey, IncidentStatus, Member};
use crate::config::PagingConfig;
use crate::monitoring::alerts::{Alert, AlertKind, AlertLevel};
use crate::monitoring::result::MonitoringResult;

/// The detector of a problem raised from labels that arrived after their window (see
/// [`IncidentTracker::observe_labelled`]).
pub(crate) const LABELS: &str = "labels";

/// Resolved problems remembered for re-opening (the most recent ones).
const MAX_CLOSED: usize = 10_000;

/// A problem and the window it (re-)started in.
#[derive(Debug, Clone)]
struct Tracked {
    incident: Incident,
    started: u64,
    /// Windows still to show before a pending problem pages; 0 once it paged.
    pending: usize,
}

/// Folds windows into problems.
#[derive(Debug, Clone)]
pub struct IncidentTracker {
    resolve_after: usize,
    group_windows: u64,
    pending_windows: usize,
    /// Paged and pending problems, by id.
    problems: BTreeMap<u64, Tracked>,
    /// Each member key of a problem in `problems`, with its id.
    member_of: BTreeMap<IncidentKey, u64>,
    /// The last resolved problem of each member key.
    closed: BTreeMap<IncidentKey, Incident>,
    window: u64,
    next_id: u64,
    /// Problems whose state changed since [`take_changed`](IncidentTracker::take_changed):
    /// what a history writes, rather than every open problem each window.
    changed: BTreeSet<u64>,
}

impl Default for IncidentTracker {
    fn default() -> Self {
        Self::new(1)
    }
}

impl IncidentTracker {
    /// A tracker that resolves a member after `resolve_after` (at least 1) consecutive readable
    /// windows without its condition, grouping only same-window conditions and paging at once.
    pub fn new(resolve_after: usize) -> Self {
        Self::with_paging(resolve_after, &PagingConfig::default())
    }

    /// As [`new`](Self::new), grouping and pending as `[paging]` says.
    pub(crate) fn with_paging(resolve_after: usize, paging: &PagingConfig) -> Self {
        IncidentTracker {
            resolve_after: resolve_after.max(1),
            group_windows: paging.group_windows as u64,
            pending_windows: paging.pending_windows,
            problems: BTreeMap::new(),
            member_of: BTreeMap::new(),
            closed: BTreeMap::new(),
            window: 0,
            next_id: 1,
            changed: BTreeSet::new(),
        }
    }

    /// Continues from stored state: the stored problems (the firing ones go on, the resolved
    /// ones may re-open), and the largest id ever given.
    pub fn restore(&mut self, stored: impl IntoIterator<Item = Incident>, last_id: u64) {
        self.problems.clear();
        self.member_of.clear();
        self.changed.clear();
        let stored: Vec<Incident> = stored.into_iter().collect();
        // Window numbers go on from the longest firing problem, so each restored one started
        // as many windows ago as it has lasted, and `group_windows` holds across a restart.
        let base = stored
            .iter()
            .filter(|i| i.is_firing())
            .map(|i| i.windows)
            .max()
            .unwrap_or(0)
            .saturating_add(1);
        let mut max_id = 0;
        for mut incident in stored {
            max_id = max_id.max(incident.id);
            let old_format = incident.members.is_empty();
            if old_format {
                incident.members.push(lead_member(&incident));
            }
            if incident.is_firing() {
                if old_format {
                    self.changed.insert(incident.id);
                }
                for key in keys(&incident) {
                    self.member_of.insert(key, incident.id);
                }
                // A late-label problem counts labelled windows, not arriving ones: none joins it.
                let started = if incident.members.iter().all(is_labelled) {
                    0
                } else {
                    base.saturating_add(1)
                        .saturating_sub(incident.windows.max(1))
                };
                self.problems.insert(
                    incident.id,
                    Tracked {
                        incident,
                        started,
                        pending: 0,
                    },
                );
            } else {
                self.close(incident);
            }
        }
        self.window = base;
        self.next_id = last_id.max(max_id).saturating_add(1);
    }

    /// The firing (paged) problems, in id order.
    pub fn open(&self) -> impl Iterator<Item = &Incident> {
        self.problems
            .values()
            .filter(|t| t.pending == 0)
            .map(|t| &t.incident)
    }

    /// Annotates the firing problems in place (their ids do not change): `annotate` says
    /// whether it changed one.
    pub(crate) fn annotate_open(&mut self, mut annotate: impl FnMut(&mut Incident) -> bool) {
        for (&id, t) in self.problems.iter_mut().filter(|(_, t)| t.pending == 0) {
            if annotate(&mut t.incident) {
                self.changed.insert(id);
            }
        }
    }

    /// The firing problems whose state changed since the last call, in id order, and forgets
    /// that they did: a history stores these (a changed problem that is no longer firing was
    /// resolved, which its change carries). Those of a window that was not stored are given
    /// again with the next one's, when the caller puts them back ([`Self::unstored`]).
    pub fn take_changed(&mut self) -> Vec<Incident> {
        let changed = std::mem::take(&mut self.changed);
        changed
            .into_iter()
            .filter_map(|id| self.problems.get(&id))
            .filter(|t| t.pending == 0)
            .map(|t| t.incident.clone())
            .collect()
    }

    /// Marks problems given by [`take_changed`](Self::take_changed) as changed again: they
    /// could not be stored.
    pub fn unstored(&mut self, incidents: &[Incident]) {
        self.changed.extend(incidents.iter().map(|i| i.id));
    }

    /// Firing problems counted by (level, kind): what a gauge exports.
    pub fn firing_counts(&self) -> BTreeMap<(AlertLevel, AlertKind), usize> {
        let mut counts = BTreeMap::new();
        for incident in self.open() {
            *counts.entry((incident.level, incident.kind)).or_insert(0) += 1;
        }
        counts
    }

    /// As `observe_paging` with every shown condition paging.
    pub fn observe(&mut self, result: &MonitoringResult) -> Vec<IncidentChange> {
        let all = conditions::of(result).iter().map(|c| c.key()).collect();
        self.observe_paging(result, &all)
    }

    /// Folds one window's result (its alerts raised) into the problems; `paging` holds the keys
    /// of the conditions the [`PagePolicy`](crate::monitoring::paging::PagePolicy) lets page.
    /// Returns one change per problem that changed: openings, updates and escalations in id
    /// order, then resolutions.
    pub(crate) fn observe_paging(
        &mut self,
        result: &MonitoringResult,
        paging: &BTreeSet<IncidentKey>,
    ) -> Vec<IncidentChange> {
        self.window += 1;
        let now = result.timestamp;
        let window = result.window.as_str();
        // The level and member count of each earlier problem this window touches, as they
        // were before it (only those: with thousands open, a window touches a few).
        let mut before: BTreeMap<u64, (AlertLevel, usize)> = BTreeMap::new();
        let mut created = BTreeSet::new();
        let mut seen = BTreeSet::new();
        let mut touched = BTreeSet::new();
        let mut opened = BTreeSet::new();
        for condition in conditions::of(result) {
            let key = condition.key();
            seen.insert(key.clone());
            if let Some(&id) = self.member_of.get(&key) {
                if let Some(t) = self.problems.get_mut(&id) {
                    note_before(&mut before, &created, id, t);
                    update(&mut t.incident, &key, condition, window, now);
                    touched.insert(id);
                }
                continue;
            }
            if !paging.contains(&key) {
                continue;
            }
            let immediate = condition.kind == AlertKind::WindowError;
            let id = match self.joinable() {
                Some(id) => {
                    if let Some(t) = self.problems.get_mut(&id) {
                        note_before(&mut before, &created, id, t);
                        join(&mut t.incident, condition, window, now);
                        if immediate {
                            t.pending = 0;
                        }
                    }
                    id
                }
                None => {
                    let (incident, id) = self.start(&key, condition, window, now);
                    created.insert(id);
                    let pending = if immediate { 0 } else { self.pending_windows };
                    if pending == 0 {
                        opened.insert(id);
                    }
                    self.problems.insert(
                        id,
                        Tracked {
                            incident,
                            started: self.window,
                            pending,
                        },
                    );
                    id
                }
            };
            self.member_of.insert(key, id);
            touched.insert(id);
        }
        let mut changes = Vec::new();
        let readable = result.error.is_none();
        // Only a touched or pending problem can change here (an untouched one only ages, below).
        let mut ids = touched.clone();
        ids.extend(
            self.problems
                .iter()
                .filter(|(_, t)| t.pending > 0)
                .map(|(&id, _)| id),
        );
        for id in ids {
            let Some(t) = self.problems.get_mut(&id) else {
                continue;
            };
            let was = before.get(&id).copied();
            if t.pending > 0 && t.started < self.window {
                if !touched.contains(&id) {
                    if readable {
                        // Gone before it paged: never a page.
                        let dropped = t.incident.clone();
                        self.forget(&dropped);
                    }
                    continue;
                }
                t.pending -= 1;
                if t.pending == 0 {
                    opened.insert(id);
                }
            }
            if t.pending > 0 {
                continue;
            }
            let change = if opened.contains(&id) {
                Some((ChangeKind::Opened, None))
            } else {
                match was {
                    Some((level, _)) if t.incident.level > level => {
                        Some((ChangeKind::Escalated, Some(level)))
                    }
                    Some((_, members)) if t.incident.members.len() > members => {
                        Some((ChangeKind::Updated, None))
                    }
                    _ => None,
                }
            };
            if let Some((change, previous_level)) = change {
                changes.push(IncidentChange {
                    change,
                    previous_level,
                    incident: t.incident.clone(),
                });
            }
        }
        self.changed.extend(touched);
        self.changed.extend(opened);
        if readable {
            changes.extend(self.resolve(&seen, now, false));
        }
        changes
    }

    /// Folds the realised-performance alerts of one window whose labels arrived late (in
    /// window order) into problems of their own: each raised for that window (its
    /// `first_window`), paging at once (labels are the truth, not a statistical hint), and
    /// resolved after `resolve_after` labelled windows without it. They carry the detector
    /// [`LABELS`], never join nor age with the conditions of arriving windows, and keep their
    /// id when they re-open, as other problems do.
    pub(crate) fn observe_labelled(
        &mut self,
        window: &str,
        alerts: &[Alert],
        now: DateTime<Utc>,
    ) -> Vec<IncidentChange> {
        let before: BTreeMap<u64, AlertLevel> = self
            .problems
            .iter()
            .map(|(&id, t)| (id, t.incident.level))
            .collect();
        let mut seen = BTreeSet::new();
        let mut opened = BTreeSet::new();
        let mut touched = BTreeSet::new();
        for alert in alerts
            .iter()
            .filter(|a| a.kind == AlertKind::PerformanceDegradation)
        {
            let condition = Condition {
                kind: alert.kind,
                level: alert.level,
                detector: Some(LABELS.to_string()),
                detectors: Vec::new(),
                feature: None,
                metric: alert.metric.clone(),
                file: None,
                message: format!("{} (labels that arrived later)", alert.message),
                value: alert.value,
                threshold: alert.threshold,
            };
            let key = condition.key();
            seen.insert(key.clone());
            if let Some(&id) = self.member_of.get(&key) {
                if let Some(t) = self.problems.get_mut(&id) {
                    update(&mut t.incident, &key, condition, window, now);
                    touched.insert(id);
                }
                continue;
            }
            let (incident, id) = self.start(&key, condition, window, now);
            // `started` 0: no condition of an arriving window joins it (see `joinable`).
            self.problems.insert(
                id,
                Tracked {
                    incident,
                    started: 0,
                    pending: 0,
                },
            );
            self.member_of.insert(key, id);
            opened.insert(id);
        }
        self.changed.extend(touched.iter().chain(&opened));
        let mut changes = Vec::new();
        for id in opened {
            if let Some(t) = self.problems.get(&id) {
                changes.push(IncidentChange {
                    change: ChangeKind::Opened,
                    previous_level: None,
                    incident: t.incident.clone(),
                });
            }
        }
        for id in touched {
            if let (Some(t), Some(&level)) = (self.problems.get(&id), before.get(&id)) {
                if t.incident.level > level {
                    changes.push(IncidentChange {
                        change: ChangeKind::Escalated,
                        previous_level: Some(level),
                        incident: t.incident.clone(),
                    });
                }
            }
        }
        changes.extend(self.resolve(&seen, now, true));
        changes
    }

    /// A problem for a condition that starts now: the one it belonged to before, re-opened
    /// under its id, or a new one.
    fn start(
        &mut self,
        key: &IncidentKey,
        condition: Condition,
        window: &str,
        now: DateTime<Utc>,
    ) -> (Incident, u64) {
        match self.closed.remove(key) {
            Some(previous) => {
                let id = previous.id;
                self.closed.retain(|_, c| c.id != id);
                (reopen(previous, condition, window, now), id)
            }
            None => {
                let id = self.next_id;
                self.next_id += 1;
                (open(id, condition, window, now), id)
            }
        }
    }

    /// The problem a condition starting now joins: the newest one started within
    /// `group_windows` windows.
    fn joinable(&self) -> Option<u64> {
        self.problems
            .iter()
            .filter(|(_, t)| t.started > 0 && t.started + self.group_windows >= self.window)
            .max_by_key(|(_, t)| t.started)
            .map(|(&id, _)| id)
    }

    /// Ages the members not seen, of late labels (`labelled`) or of arriving windows; a problem
    /// whose last member resolved resolves.
    fn resolve(
        &mut self,
        seen: &BTreeSet<IncidentKey>,
        now: DateTime<Utc>,
        labelled: bool,
    ) -> Vec<IncidentChange> {
        let mut resolved = Vec::new();
        for (&id, t) in &mut self.problems {
            for member in &mut t.incident.members {
                if member.status != IncidentStatus::Firing
                    || seen.contains(&member.key())
                    || is_labelled(member) != labelled
                {
                    continue;
                }
                self.changed.insert(id);
                member.quiet_windows += 1;
                if member.kind == AlertKind::WindowError
                    || member.quiet_windows >= self.resolve_after
                {
                    member.status = IncidentStatus::Resolved;
                }
            }
            t.incident.quiet_windows = t
                .incident
                .members
                .iter()
                .map(|m| m.quiet_windows)
                .min()
                .unwrap_or(0);
            if t.incident
                .members
                .iter()
                .all(|m| m.status != IncidentStatus::Firing)
            {
                resolved.push(id);
            }
        }
        let mut changes = Vec::new();
        for id in resolved {
            let Some(t) = self.problems.remove(&id) else {
                continue;
            };
            let incident = t.incident;
            for key in keys(&incident) {
                self.member_of.remove(&key);
            }
            if t.pending > 0 {
                continue;
            }
            changes.push(self.resolved(incident, now));
        }
        changes
    }

    /// Marks a problem resolved at `now`, keeps it for a re-opening, and gives its change.
    fn resolved(&mut self, mut incident: Incident, now: DateTime<Utc>) -> IncidentChange {
        incident.status = IncidentStatus::Resolved;
        incident.resolved_at = Some(now);
        incident.updated_at = now;
        self.close(incident.clone());
        IncidentChange {
            change: ChangeKind::Resolved,
            previous_level: None,
            incident,
        }
    }

    /// Resolves every problem at once, each with `reason` (`resolved_reason`): what was found
    /// under settings that no longer hold is closed, and the next window starts clean. Returns
    /// the resolutions of the paged problems (pending ones had not paged: they are dropped).
    pub fn close_all(&mut self, reason: &str, now: DateTime<Utc>) -> Vec<IncidentChange> {
        self.member_of.clear();
        let mut changes = Vec::new();
        for (_, t) in std::mem::take(&mut self.problems) {
            if t.pending > 0 {
                continue;
            }
            let mut incident = t.incident;
            for member in &mut incident.members {
                member.status = IncidentStatus::Resolved;
            }
            incident.resolved_reason = Some(reason.to_string());
            changes.push(self.resolved(incident, now));
        }
        changes
    }

    fn forget(&mut self, incident: &Incident) {
        for key in keys(incident) {
            self.member_of.remove(&key);
        }
        self.problems.remove(&incident.id);
    }

    fn close(&mut self, incident: Incident) {
        for key in keys(&incident) {
            self.closed.insert(key, incident.clone());
        }
        while self.closed.len() > MAX_CLOSED {
            let oldest = self
                .closed
                .iter()
                .min_by_key(|(_, c)| c.id)
                .map(|(k, _)| k.clone());
            match oldest {
                Some(k) => self.closed.remove(&k),
                None => break,
            };
        }
    }
}

/// Notes an earlier problem's level and member count before a window first changes it (not
/// one `created` in that window).
fn note_before(
    before: &mut BTreeMap<u64, (AlertLevel, usize)>,
    created: &BTreeSet<u64>,
    id: u64,
    t: &Tracked,
) {
    if !created.contains(&id) {
        before
            .entry(id)
            .or_insert((t.incident.level, t.incident.members.len()));
    }
}

/// Whether the member is a late-label condition.
fn is_labelled(member: &Member) -> bool {
    member.detector.as_deref() == Some(LABELS)
}

/// A problem's member keys (its own key for incidents stored before problems had members).
fn keys(incident: &Incident) -> Vec<IncidentKey> {
    if incident.members.is_empty() {
        return vec![incident.key()];
    }
    incident.members.iter().map(Member::key).collect()
}

/// The member an incident stored before problems had members stands for.
fn lead_member(i: &Incident) -> Member {
    Member {
        kind: i.kind,
        level: i.level,
        detector: i.detector.clone(),
        detectors: i.detectors.clone(),
        feature: i.feature.clone(),
        metric: i.metric.clone(),
        file: i.file.clone(),
        message: i.message.clone(),
        value: i.value,
        threshold: i.threshold,
        status: i.status,
        quiet_windows: i.quiet_windows,
    }
}

fn member(c: Condition) -> Member {
    Member {
        kind: c.kind,
        level: c.level,
        detector: c.detector,
        detectors: c.detectors,
        feature: c.feature,
        metric: c.metric,
        file: c.file,
        message: c.message,
        value: c.value,
        threshold: c.threshold,
        status: IncidentStatus::Firing,
        quiet_windows: 0,
    }
}

fn open(id: u64, c: Condition, window: &str, now: DateTime<Utc>) -> Incident {
    let first = member(c.clone());
    Incident {
        id,
        kind: c.kind,
        status: IncidentStatus::Firing,
        level: c.level,
        detector: c.detector,
        detectors: c.detectors,
        feature: c.feature,
        metric: c.metric,
        file: c.file,
        message: c.message,
        value: c.value,
        threshold: c.threshold,
        first_window: window.to_string(),
        last_window: window.to_string(),
        windows: 1,
        opened_at: now,
        updated_at: now,
        resolved_at: None,
        quiet_windows: 0,
        suspects: Vec::new(),
        members: vec![first],
        times_opened: 1,
        first_opened_at: None,
        resolved_reason: None,
    }
}

fn reopen(previous: Incident, c: Condition, window: &str, now: DateTime<Utc>) -> Incident {
    let first_opened_at = previous.first_opened_at.unwrap_or(previous.opened_at);
    Incident {
        times_opened: previous.times_opened.saturating_add(1),
        first_opened_at: Some(first_opened_at),
        ..open(previous.id, c, window, now)
    }
}

/// A condition joins a problem (started within the grouping windows).
fn join(incident: &mut Incident, c: Condition, window: &str, now: DateTime<Utc>) {
    incident.level = incident.level.max(c.level);
    incident.members.push(member(c));
    touch(incident, window, now);
}

/// A member's condition shows again.
fn update(
    incident: &mut Incident,
    key: &IncidentKey,
    c: Condition,
    window: &str,
    now: DateTime<Utc>,
) {
    incident.level = incident.level.max(c.level);
    let lead = incident.members.first().is_none_or(|m| &m.key() == key);
    if lead {
        incident.detectors = c.detectors.clone();
        incident.message = c.message.clone();
        incident.value = c.value;
        incident.threshold = c.threshold;
    }
    if let Some(m) = incident.members.iter_mut().find(|m| &m.key() == key) {
        m.level = m.level.max(c.level);
        m.detectors = c.detectors;
        m.message = c.message;
        m.value = c.value;
        m.threshold = c.threshold;
        m.status = IncidentStatus::Firing;
        m.quiet_windows = 0;
    }
    touch(incident, window, now);
}

fn touch(incident: &mut Incident, window: &str, now: DateTime<Utc>) {
    if incident.last_window != window {
        incident.windows += 1;
    }
    incident.last_window = window.to_string();
    incident.updated_at = now;
    incident.quiet_windows = 0;
}
