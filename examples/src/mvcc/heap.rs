//! A PostgreSQL heap, as the isolation chapter's MVCC engine leaves it after each step: every
//! row version as a tuple with `xmin` and `xmax`, who sees which, and what `VACUUM` may remove.
//!
//! The engine ([`crate::isolation::engine`]) decides what every statement returns; this module
//! only watches it through [`Moment`]s and names what PostgreSQL would have on its page:
//!
//! * A version with a value is a **tuple**. Its `xmin` is the transaction that wrote it. Its
//!   `xmax` is the transaction that replaced it (an `UPDATE` writes a new tuple) or deleted it
//!   (a `DELETE` writes none), or one that only locked it (`SELECT … FOR UPDATE` stores the
//!   locker in `xmax` with a "lock only" bit). An `xmax` whose transaction aborted stays in the
//!   header and is ignored.
//! * **Transaction ids** are handed out at a transaction's first write or row lock, in that
//!   order; a transaction that only reads never gets one.
//! * **The horizon** (PostgreSQL's `OldestXmin`) is the oldest transaction id that a running
//!   transaction may still need: its own id, or the `xmin` of a snapshot it holds (the oldest
//!   id that was running when the snapshot was taken). A tuple whose `xmax` committed is
//!   removable only when that `xmax` is older than the horizon: one comparison of ids, as
//!   `HeapTupleSatisfiesVacuum` does it, not a search of every snapshot. So a long transaction
//!   keeps every version that died after it began, even those no snapshot can see.

use std::collections::BTreeMap;

use crate::isolation::engine::{INITIAL, Moment, Status, TxId, Version};

// ANCHOR: types
/// What a tuple's `xmax` records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XmaxKind {
    /// An `UPDATE` wrote a newer version.
    Updated,
    Deleted,
    /// `SELECT … FOR UPDATE`: the row is locked, not changed.
    LockOnly,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Xmax {
    pub tx: TxId,
    pub kind: XmaxKind,
}

/// What `VACUUM` makes of a tuple (PostgreSQL's `HeapTupleSatisfiesVacuum`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum State {
    /// Its writer is still running.
    InsertInProgress,
    Live,
    /// Its deleter (or updater) is still running: everyone else still sees it.
    DeleteInProgress,
    /// Deleted by a committed transaction, but not older than the horizon: kept.
    RecentlyDead,
    /// No snapshot can see it again (or its writer aborted): `VACUUM` removes it.
    Dead,
}

/// One tuple: a version of a row that holds a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tuple {
    pub row: i64,
    /// Its place in the engine's chain of versions for the row.
    pub version: usize,
    /// `1v2`: row 1, its second tuple.
    pub name: String,
    pub value: i64,
    pub xmin: TxId,
    /// The step (0-based) during which it was written; `None` for the initial rows.
    pub born: Option<usize>,
    /// Removed by a `VACUUM`.
    pub removed: bool,
}

/// Who holds the horizon where it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    /// A transaction snapshot, taken during `step`.
    Snapshot { tx: TxId, step: usize },
    /// A running transaction's own id, assigned during `step`.
    Xid { tx: TxId, step: usize },
    /// A statement that waits for a row lock keeps the snapshot it started with at `step`.
    Statement { tx: TxId, step: usize },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Horizon {
    /// Tuples whose `xmax` is older than this id are removable.
    pub xid: u64,
    /// `None`: no transaction is running, so it is the next id to be handed out.
    pub holder: Option<Holder>,
}
// ANCHOR_END: types

/// The heap of one run, kept up to date by [`Heap::observe`].
#[derive(Debug, Clone, Default)]
pub struct Heap {
    pub tuples: Vec<Tuple>,
    by_version: BTreeMap<(i64, usize), usize>,
    /// Each transaction's id and the step it was assigned in, by [`TxId`].
    xids: Vec<Option<(u64, Option<usize>)>>,
    next_xid: u64,
    /// The `xmin` of each transaction's snapshot, and the step it was taken in.
    snapshots: Vec<Option<(u64, usize)>>,
    /// The `xmin` a snapshot taken at the start of each step would have.
    xmin_at_start: Vec<u64>,
    /// Row locks seen, stored in the `xmax` of the version they locked.
    locked: BTreeMap<(i64, usize), TxId>,
    /// The `xmax` each tuple had at the last step (to report changes).
    last_xmax: Vec<Option<Xmax>>,
}

/// The version that `chain[j]` was written on top of: the newest earlier one whose writer did
/// not abort (or that `chain[j]`'s own writer wrote).
fn predecessor(m: &Moment<'_>, chain: &[Version], j: usize) -> Option<usize> {
    (0..j)
        .rev()
        .find(|&i| m.txs[chain[i].creator].status != Status::Aborted || chain[i].creator == chain[j].creator)
}

impl Heap {
    /// The heap after the initial load: one tuple per row, written by T0.
    pub fn new(rows: &[(i64, i64)]) -> Heap {
        let mut heap = Heap { next_xid: 2, xids: vec![Some((1, None))], ..Heap::default() };
        for &(row, value) in rows {
            heap.add(row, 0, value, INITIAL, None);
        }
        heap.xmin_at_start.push(heap.next_xid);
        heap
    }

    fn add(&mut self, row: i64, version: usize, value: i64, xmin: TxId, born: Option<usize>) -> usize {
        let n = self.tuples.iter().filter(|t| t.row == row).count() + 1;
        self.tuples.push(Tuple {
            row,
            version,
            name: format!("{row}v{n}"),
            value,
            xmin,
            born,
            removed: false,
        });
        self.last_xmax.push(None);
        self.by_version.insert((row, version), self.tuples.len() - 1);
        self.tuples.len() - 1
    }

    /// The transaction id of `tx`, if it has one.
    pub fn xid(&self, tx: TxId) -> Option<u64> {
        self.xids.get(tx).copied().flatten().map(|(xid, _)| xid)
    }

    /// Takes in what step `m.step` did; returns what changed on the page, in words.
    pub fn observe(&mut self, m: &Moment<'_>) -> Vec<String> {
        let mut notes = Vec::new();
        self.xids.resize(m.txs.len(), None);
        self.snapshots.resize(m.txs.len(), None);
        // Transaction ids: at the first write or row lock.
        for (id, tx) in m.txs.iter().enumerate().skip(1) {
            if self.xids[id].is_none() && (tx.wrote || m.locks.values().any(|&holder| holder == id)) {
                self.xids[id] = Some((self.next_xid, Some(m.step)));
                notes.push(format!(
                    "{} gets transaction id {} (its first write or lock)",
                    tx.label, self.next_xid
                ));
                self.next_xid += 1;
            }
        }
        // Snapshots taken during this step see what was running when the step began.
        let start = self.xmin_at_start[m.step];
        for (id, tx) in m.txs.iter().enumerate() {
            if tx.snapshot.is_some() && self.snapshots[id].is_none() {
                self.snapshots[id] = Some((start, m.step));
            }
        }
        // Row locks are stored in the locked version's xmax.
        for (&row, &holder) in m.locks {
            let chain = &m.rows[&row];
            let newest = (0..chain.len()).rev().find(|&i| m.txs[chain[i].creator].status != Status::Aborted);
            if let Some(v) = newest.filter(|&v| chain[v].creator != holder && chain[v].value.is_some()) {
                self.locked.insert((row, v), holder);
            }
        }
        // New tuples.
        for (&row, chain) in m.rows {
            for (v, version) in chain.iter().enumerate() {
                if let Some(value) = version.value
                    && !self.by_version.contains_key(&(row, v))
                {
                    let t = self.add(row, v, value, version.creator, Some(m.step));
                    notes.push(format!(
                        "new tuple {} (value {value}, xmin {})",
                        self.tuples[t].name, m.txs[version.creator].label
                    ));
                }
            }
        }
        // Changed xmax.
        for t in 0..self.tuples.len() {
            let xmax = self.xmax(m, t);
            if xmax != self.last_xmax[t] {
                if let Some(x) = xmax {
                    let what = match x.kind {
                        XmaxKind::Updated => "replaced by a newer version",
                        XmaxKind::Deleted => "deleted",
                        XmaxKind::LockOnly => "locked, the lock kept in xmax",
                    };
                    notes.push(format!("{} gets xmax {}: {what}", self.tuples[t].name, m.txs[x.tx].label));
                }
                self.last_xmax[t] = xmax;
            }
        }
        // What a snapshot taken when the next step begins would have as its xmin: the oldest
        // id still running, or the next one to be handed out.
        let running = m
            .txs
            .iter()
            .enumerate()
            .filter(|(_, tx)| tx.status == Status::Active)
            .filter_map(|(id, _)| self.xid(id))
            .min();
        self.xmin_at_start.push(running.unwrap_or(self.next_xid));
        notes
    }

    // ANCHOR: xmax
    /// The `xmax` of tuple `t`: who replaced or deleted it last (an aborted one included, as
    /// PostgreSQL leaves it in the header), or else who locked it.
    pub fn xmax(&self, m: &Moment<'_>, t: usize) -> Option<Xmax> {
        let tuple = &self.tuples[t];
        let chain = &m.rows[&tuple.row];
        let replaced =
            (tuple.version + 1..chain.len()).rfind(|&j| predecessor(m, chain, j) == Some(tuple.version));
        match replaced {
            Some(j) => Some(Xmax {
                tx: chain[j].creator,
                kind: if chain[j].value.is_some() { XmaxKind::Updated } else { XmaxKind::Deleted },
            }),
            None => {
                self.locked.get(&(tuple.row, tuple.version)).map(|&tx| Xmax { tx, kind: XmaxKind::LockOnly })
            }
        }
    }
    // ANCHOR_END: xmax

    // ANCHOR: horizon
    /// The oldest transaction id a running transaction may still need.
    pub fn horizon(&self, m: &Moment<'_>) -> Horizon {
        let mut horizon = Horizon { xid: self.next_xid, holder: None };
        for (id, tx) in m.txs.iter().enumerate().skip(1) {
            if tx.status != Status::Active {
                continue;
            }
            let mut candidates = Vec::new();
            if let Some((xmin, step)) = self.snapshots[id] {
                candidates.push((xmin, Holder::Snapshot { tx: id, step }));
            }
            if let Some((xid, Some(step))) = self.xids[id] {
                candidates.push((xid, Holder::Xid { tx: id, step }));
            }
            if let Some(step) = tx.waiting {
                candidates.push((self.xmin_at_start[step], Holder::Statement { tx: id, step }));
            }
            for (xid, holder) in candidates {
                if xid < horizon.xid {
                    horizon = Horizon { xid, holder: Some(holder) };
                }
            }
        }
        horizon
    }

    /// What `VACUUM` would make of tuple `t` now.
    pub fn state(&self, m: &Moment<'_>, t: usize) -> State {
        let status = |tx: TxId| m.txs[tx].status;
        match status(self.tuples[t].xmin) {
            Status::Aborted => State::Dead,
            Status::Active => State::InsertInProgress,
            Status::Committed(_) => match self.xmax(m, t) {
                None | Some(Xmax { kind: XmaxKind::LockOnly, .. }) => State::Live,
                Some(x) => match status(x.tx) {
                    Status::Aborted => State::Live,
                    Status::Active => State::DeleteInProgress,
                    Status::Committed(_) => {
                        let xid = self.xid(x.tx).expect("a writer has a transaction id");
                        if xid < self.horizon(m).xid { State::Dead } else { State::RecentlyDead }
                    }
                },
            },
        }
    }
    // ANCHOR_END: horizon

    /// Whether a statement of `reader` starting now (`None`: a new transaction) would read
    /// tuple `t`.
    pub fn seen_by(&self, m: &Moment<'_>, reader: Option<TxId>, t: usize) -> bool {
        let tuple = &self.tuples[t];
        let chain = &m.rows[&tuple.row];
        m.visible(reader, chain) == Some(tuple.version)
    }

    // ANCHOR: vacuum
    /// `VACUUM`: removes every tuple that is dead to every snapshot there can be; returns them.
    pub fn vacuum(&mut self, m: &Moment<'_>) -> Vec<usize> {
        let mut dead: Vec<usize> = (0..self.tuples.len())
            .filter(|&t| !self.tuples[t].removed && self.state(m, t) == State::Dead)
            .collect();
        dead.sort_by_key(|&t| (self.tuples[t].row, self.tuples[t].version));
        for &t in &dead {
            self.tuples[t].removed = true;
        }
        dead
    }
    // ANCHOR_END: vacuum
}

/// A [`Moment`] for the state before the first step: the initial rows, loaded by T0.
pub fn initial_moment<'a>(
    rows: &'a BTreeMap<i64, Vec<Version>>,
    locks: &'a BTreeMap<i64, TxId>,
    level: crate::isolation::script::Level,
) -> Moment<'a> {
    use crate::isolation::engine::TxView;
    Moment {
        step: 0,
        rows,
        locks,
        commit_seq: 0,
        txs: vec![TxView {
            label: "T0".to_string(),
            session: 0,
            level,
            status: Status::Committed(0),
            snapshot: Some(0),
            wrote: true,
            waiting: None,
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::isolation::engine::run_observed;
    use crate::isolation::script::{Level, Script, parse_steps};

    /// Runs `text` and returns, after each step, every tuple as `name value xmin xmax state`
    /// (removed ones left out), vacuuming after the steps in `vacuum_after`.
    fn trace(rows: &[(i64, i64)], text: &str, vacuum_after: &[usize]) -> Vec<Vec<String>> {
        let script = Script { rows: rows.to_vec(), steps: parse_steps(text, 0).unwrap() };
        let mut heap = Heap::new(rows);
        let mut out = Vec::new();
        run_observed(&script, Level::ReadCommitted, &mut |m| {
            heap.observe(m);
            if vacuum_after.contains(&m.step) {
                heap.vacuum(m);
            }
            out.push(
                (0..heap.tuples.len())
                    .filter(|&t| !heap.tuples[t].removed)
                    .map(|t| {
                        let x = heap.xmax(m, t).map_or("-".to_string(), |x| m.txs[x.tx].label.clone());
                        let tuple = &heap.tuples[t];
                        format!(
                            "{} {} {} {x} {:?}",
                            tuple.name,
                            tuple.value,
                            m.txs[tuple.xmin].label,
                            heap.state(m, t)
                        )
                    })
                    .collect(),
            );
        })
        .unwrap();
        out
    }

    #[test]
    fn an_update_writes_a_tuple_and_sets_the_old_ones_xmax() {
        let steps = trace(
            &[(1, 10)],
            "T1: begin\nT1: update test set value = 11 where id = 1\nT1: commit\nT2: delete from test where id = 1",
            &[],
        );
        assert_eq!(steps[1], ["1v1 10 T0 T1 DeleteInProgress", "1v2 11 T1 - InsertInProgress"]);
        // Committed, and nobody running: the old version is dead at once.
        assert_eq!(steps[2], ["1v1 10 T0 T1 Dead", "1v2 11 T1 - Live"]);
        // A delete writes no tuple: it sets xmax.
        assert_eq!(steps[3], ["1v1 10 T0 T1 Dead", "1v2 11 T1 T2 Dead"]);
    }

    #[test]
    fn an_aborted_update_leaves_its_xmax_and_a_dead_tuple() {
        let steps = trace(
            &[(1, 10)],
            "T1: begin\nT1: update test set value = 11 where id = 1\nT1: rollback\n\
             T2: update test set value = 12 where id = 1",
            &[2],
        );
        assert_eq!(steps[2], ["1v1 10 T0 T1 Live"], "the aborted tuple is removed, xmax T1 is ignored");
        assert_eq!(steps[3], ["1v1 10 T0 T2 Dead", "1v3 12 T2 - Live"]);
    }

    #[test]
    fn a_long_snapshot_keeps_every_version_that_died_after_it_began() {
        // T1's snapshot sees 1v1; 1v2 is seen by nobody, but its xmax is not older than the
        // horizon, so PostgreSQL keeps it too.
        let text = "T1: begin isolation level repeatable read\nT1: select * from test\n\
                    T2: update test set value = 11 where id = 1\nT3: update test set value = 12 where id = 1\n\
                    T1: commit";
        let steps = trace(&[(1, 10)], text, &[3, 4]);
        assert_eq!(steps[3], ["1v1 10 T0 T2 RecentlyDead", "1v2 11 T2 T3 RecentlyDead", "1v3 12 T3 - Live"]);
        assert_eq!(steps[4], ["1v3 12 T3 - Live"]);
    }

    #[test]
    fn an_idle_transaction_with_an_id_holds_the_horizon_but_a_reader_does_not() {
        // T1 at read committed has only read: it holds nothing, the old version goes.
        let reader = trace(
            &[(1, 10), (2, 20)],
            "T1: begin\nT1: select * from test\nT2: update test set value = 21 where id = 2",
            &[2],
        );
        assert_eq!(reader[2], ["1v1 10 T0 - Live", "2v2 21 T2 - Live"]);
        // T1 has written (an id): every version that died after that is kept.
        let writer = trace(
            &[(1, 10), (2, 20)],
            "T1: begin\nT1: update test set value = 11 where id = 1\nT2: update test set value = 21 where id = 2",
            &[2],
        );
        assert!(writer[2].contains(&"2v1 20 T0 T2 RecentlyDead".to_string()), "{:?}", writer[2]);
    }

    #[test]
    fn for_update_stores_the_lock_in_xmax() {
        let steps =
            trace(&[(1, 10)], "T1: begin\nT1: select * from test where id = 1 for update\nT1: commit", &[]);
        assert_eq!(steps[1], ["1v1 10 T0 T1 Live"]);
        assert_eq!(steps[2], ["1v1 10 T0 T1 Live"], "the locker stays in the header after commit");
    }

    #[test]
    fn a_row_deleted_and_inserted_again_is_a_new_tuple_without_a_predecessor() {
        let steps =
            trace(&[(1, 10)], "T1: delete from test where id = 1\nT2: insert into test values (1, 5)", &[]);
        assert_eq!(steps[1], ["1v1 10 T0 T1 Dead", "1v2 5 T2 - Live"]);
    }
}
