//! A linearizability checker for a register (and a compare-and-set register), after Wing and
//! Gong (1993), with Lowe's memoisation (2017): a depth-first search for an order of the
//! operations that (1) respects real time, every operation after those that completed before it
//! was invoked, and (2) is a legal run of a single register. Two search states that have
//! placed the same *set* of operations and left the register holding the same value have the
//! same future, so each is explored once. The same search with program order in place of real
//! time checks sequential consistency (Lamport 1979).
//!
//! The search is exponential in the worst case (checking linearizability is NP-complete, Gibbons
//! and Korach 1997), so it counts its steps and stops at a budget, saying so: it never calls a
//! history it has not finished checking either way.

use std::collections::HashSet;

use super::history::{History, Kind};

/// Which order the operations must keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Model {
    /// Real time: an operation that completed before another was invoked goes first.
    Linearizable,
    /// Each client's own order only (Lamport's sequential consistency).
    Sequential,
}

/// What the search found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A legal order: the indexes of the operations that took effect, in order. An operation
    /// that was never answered may be left out (it never took effect).
    Ok(Vec<usize>),
    /// No legal order exists.
    Violation,
    /// The budget ran out first.
    Exhausted,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub verdict: Verdict,
    /// Search states explored.
    pub steps: u64,
}

// ANCHOR: apply
/// The register's rules: the value after `kind` runs on `value`, or `None` when `kind` could not
/// have returned what it did.
pub fn apply(value: i64, kind: Kind) -> Option<i64> {
    match kind {
        Kind::Write(v) => Some(v),
        Kind::Read(Some(v)) => (v == value).then_some(value),
        Kind::Read(None) => Some(value),
        Kind::Cas { from, to, ok: Some(true) } | Kind::Cas { from, to, ok: None } => {
            (value == from).then_some(to)
        }
        Kind::Cas { from, ok: Some(false), .. } => (value != from).then_some(value),
    }
}
// ANCHOR_END: apply

// ANCHOR: search
/// Checks `history` against `model`, exploring at most `budget` search states.
pub fn check(history: &History, model: Model, budget: u64) -> Outcome {
    let ops = &history.ops;
    let n = ops.len();
    assert!(n <= 128, "the checker keeps sets of operations in a u128");
    // must_follow[i]: the operations that have to be placed before operation i.
    let must_follow: Vec<u128> = (0..n)
        .map(|i| {
            (0..n)
                .filter(|&j| match model {
                    Model::Linearizable => ops[j].precedes(&ops[i]),
                    // A client that gave up on an operation carries on as if it were a new
                    // process (as Jepsen does): the lost operation may land after its next ones.
                    Model::Sequential => j < i && ops[j].client == ops[i].client && ops[j].complete.is_some(),
                })
                .fold(0u128, |set, j| set | 1 << j)
        })
        .collect();
    // Every answered operation must be placed; one never answered may be dropped (it did not
    // take effect), which the search does by placing it without applying it.
    let answered: u128 = (0..n).filter(|&i| ops[i].complete.is_some()).fold(0, |set, i| set | 1 << i);
    let mut search =
        Search { history, must_follow, answered, seen: HashSet::new(), steps: 0, budget, path: Vec::new() };
    let verdict = match search.explore(0, history.init) {
        Some(true) => {
            Verdict::Ok(search.path.iter().filter(|(_, applied)| *applied).map(|&(i, _)| i).collect())
        }
        Some(false) => Verdict::Violation,
        None => Verdict::Exhausted,
    };
    Outcome { verdict, steps: search.steps }
}

struct Search<'a> {
    history: &'a History,
    must_follow: Vec<u128>,
    answered: u128,
    /// Lowe's memo: (operations placed, register value) states already explored, all dead ends.
    seen: HashSet<(u128, i64)>,
    steps: u64,
    budget: u64,
    /// The order being built: (operation, whether it took effect).
    path: Vec<(usize, bool)>,
}

impl Search<'_> {
    /// `Some(true)`: the rest can be ordered; `Some(false)`: it cannot; `None`: out of budget.
    fn explore(&mut self, placed: u128, value: i64) -> Option<bool> {
        if placed & self.answered == self.answered {
            return Some(true);
        }
        if !self.seen.insert((placed, value)) {
            return Some(false);
        }
        self.steps += 1;
        if self.steps > self.budget {
            return None;
        }
        for i in 0..self.history.ops.len() {
            let bit = 1u128 << i;
            // A candidate: not placed yet, and everything that must come first already is.
            if placed & bit != 0 || self.must_follow[i] & !placed != 0 {
                continue;
            }
            let op = &self.history.ops[i];
            if let Some(next) = apply(value, op.kind) {
                self.path.push((i, true));
                match self.explore(placed | bit, next) {
                    Some(false) => {}
                    found => return found,
                }
                self.path.pop();
            }
            if op.complete.is_none() {
                // Never answered: it may also never have taken effect.
                self.path.push((i, false));
                match self.explore(placed | bit, value) {
                    Some(false) => {}
                    found => return found,
                }
                self.path.pop();
            }
        }
        Some(false)
    }
}
// ANCHOR_END: search

/// Where each operation of a linearization takes effect: a time inside its interval, never
/// earlier than the one before. The latest invocation so far always works, because an
/// operation placed later was not answered before any earlier one was invoked.
pub fn points(history: &History, order: &[usize]) -> Vec<u64> {
    let mut at = 0;
    order
        .iter()
        .map(|&i| {
            at = at.max(history.ops[i].invoke);
            at
        })
        .collect()
}

/// A violating subset and whether every removal was decided within the budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Minimal {
    /// The operations kept (indexes, in input order).
    pub ops: Vec<usize>,
    /// `false`: some removal ran out of budget and its operation was kept undecided, so the set
    /// is a violation but may not be minimal.
    pub decided: bool,
}

/// A *minimal* set of operations that already breaks `model` on its own, found by deletion in
/// input order (1-minimal, as in Zeller and Hildebrandt's ddmin, TSE 2002): remove any one of
/// them and the rest can be ordered. It is not necessarily the *smallest* such set: another,
/// smaller one may exist elsewhere in the history. A write is only removed together with the
/// reads that returned its value ([`remove_one`]), so the subset never "fails" merely because a
/// read's value comes from nowhere. `None` when the history is not shown to fail.
pub fn minimal_violation(history: &History, model: Model, budget: u64) -> (Option<Minimal>, u64) {
    let mut spent = 0;
    let mut keep: Vec<usize> = (0..history.ops.len()).collect();
    let first = check(history, model, budget);
    spent += first.steps;
    if first.verdict != Verdict::Violation {
        return (None, spent);
    }
    let mut undecided = Vec::new();
    let mut i = 0;
    while i < keep.len() {
        let trial = remove_one(history, &keep, keep[i]);
        if !trial.is_empty() {
            let outcome = check(&history.subset(&trial), model, budget.saturating_sub(spent).max(1));
            spent += outcome.steps;
            match outcome.verdict {
                Verdict::Violation => {
                    keep = trial;
                    undecided.clear();
                    i = 0;
                    continue;
                }
                Verdict::Exhausted => undecided.push(keep[i]),
                Verdict::Ok(_) => {}
            }
        }
        i += 1;
    }
    (Some(Minimal { ops: keep, decided: undecided.is_empty() }), spent)
}

/// `keep` without operation `k`, and without every operation that then observed a value nobody
/// kept could have written (for a write: the reads of its value).
pub fn remove_one(history: &History, keep: &[usize], k: usize) -> Vec<usize> {
    let mut trial: Vec<usize> = keep.iter().copied().filter(|&j| j != k).collect();
    drop_unexplained(history, &mut trial);
    trial
}

/// Removes, until none is left, every operation that observed a value (a read's result, a
/// successful compare-and-set's `from`) that neither the initial value nor any kept operation
/// could have put there.
fn drop_unexplained(history: &History, keep: &mut Vec<usize>) {
    loop {
        let written = |v: i64, keep: &[usize]| {
            v == history.init
                || keep.iter().any(|&k| match history.ops[k].kind {
                    Kind::Write(w) => w == v,
                    Kind::Cas { to, ok, .. } => to == v && ok != Some(false),
                    Kind::Read(_) => false,
                })
        };
        let before = keep.len();
        let snapshot = keep.clone();
        keep.retain(|&k| match history.ops[k].kind {
            Kind::Read(Some(v)) | Kind::Cas { from: v, ok: Some(true), .. } => written(v, &snapshot),
            _ => true,
        });
        if keep.len() == before {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::history::{Op, parse};
    use super::*;
    use crate::rng::Rng;

    fn verdict(text: &str, model: Model) -> Verdict {
        check(&parse(text).unwrap().0, model, 1_000_000).verdict
    }

    /// The classics: each with its expected verdict under both models.
    const CLASSICS: &[(&str, &str, bool, bool)] = &[
        ("stale read", "c1 0 10 write 1\nc2 20 30 read 0", false, true),
        ("read overlaps write", "c1 0 10 write 1\nc2 5 15 read 0\nc3 12 20 read 1", true, true),
        ("new then old", "c1 0 30 write 1\nc2 5 10 read 1\nc3 15 20 read 0", false, true),
        (
            "writes seen in two orders",
            "c1 0 10 write 1\nc2 0 10 write 2\nc3 20 25 read 1\nc3 30 35 read 2\nc4 20 25 read 2\nc4 30 35 read 1",
            false,
            false,
        ),
        ("cas lost update", "c1 0 10 cas 0 1 ok\nc2 0 10 cas 0 2 ok", false, false),
        ("pending write seen", "c1 0 ? write 1\nc2 50 60 read 1\nc3 70 80 read 1", true, true),
        ("pending write flickers", "c1 0 ? write 1\nc2 50 60 read 1\nc3 70 80 read 0", false, true),
    ];

    #[test]
    fn classic_histories_get_their_verdicts() {
        for &(name, text, lin, seq) in CLASSICS {
            assert_eq!(
                matches!(verdict(text, Model::Linearizable), Verdict::Ok(_)),
                lin,
                "{name}: linearizable"
            );
            assert_eq!(matches!(verdict(text, Model::Sequential), Verdict::Ok(_)), seq, "{name}: sequential");
        }
    }

    #[test]
    fn the_minimal_violation_of_a_stale_read_is_the_write_and_the_read() {
        let (h, _) = parse("c1 0 10 write 1\nc3 2 4 read 0\nc2 20 30 read 0\nc3 40 50 read 1").unwrap();
        let (subset, _) = minimal_violation(&h, Model::Linearizable, 1_000_000);
        assert_eq!(subset, Some(Minimal { ops: vec![0, 2], decided: true }));
        assert_eq!(check(&h, Model::Linearizable, 1).verdict, Verdict::Exhausted);
    }

    /// Deletion finds a 1-minimal set, not a minimum one: here it returns three operations
    /// (write 2, read 2, the late read 0) although write 1 and the early read 0 are a violation
    /// of two.
    #[test]
    fn minimal_is_not_minimum() {
        let (h, _) = parse(
            "c1 0 10 write 1\nc2 20 30 read 0\nc3 100 130 write 2\nc4 105 110 read 2\nc5 115 120 read 0",
        )
        .unwrap();
        let (subset, _) = minimal_violation(&h, Model::Linearizable, 1_000_000);
        let subset = subset.unwrap();
        assert_eq!(subset, Minimal { ops: vec![2, 3, 4], decided: true });
        assert!(every_operation_is_needed(&h, &subset.ops, Model::Linearizable));
        assert!(!brute_force(&h.subset(&[0, 1]), Model::Linearizable), "a smaller violation exists");
    }

    #[test]
    fn a_budget_limited_minimisation_says_so() {
        let (h, _) = parse(
            "c1 0 10 write 1\nc2 20 30 read 0\nc3 100 130 write 2\nc4 105 110 read 2\nc5 115 120 read 0",
        )
        .unwrap();
        let full = check(&h, Model::Linearizable, 1_000_000).steps;
        let (subset, _) = minimal_violation(&h, Model::Linearizable, full);
        let subset = subset.unwrap();
        assert!(!subset.decided, "{subset:?}");
        assert!(!brute_force(&h.subset(&subset.ops), Model::Linearizable));
    }

    /// Remove any one operation (a write with the reads of its value) and the rest can be ordered.
    fn every_operation_is_needed(h: &History, ops: &[usize], model: Model) -> bool {
        ops.iter().all(|&k| {
            let rest = remove_one(h, ops, k);
            rest.is_empty() || brute_force(&h.subset(&rest), model)
        })
    }

    #[test]
    fn points_lie_inside_their_intervals_and_never_go_back() {
        let (h, _) = parse("c1 0 30 write 1\nc2 5 10 read 0\nc3 12 40 read 1\nc2 20 ? write 2").unwrap();
        let Verdict::Ok(order) = check(&h, Model::Linearizable, 1000).verdict else { panic!() };
        let at = points(&h, &order);
        for (k, &i) in order.iter().enumerate() {
            assert!(h.ops[i].invoke <= at[k] && at[k] <= h.ops[i].complete.unwrap_or(u64::MAX));
        }
        assert!(at.windows(2).all(|w| w[0] <= w[1]));
    }

    /// Every order of the answered operations (plus any subset of the unanswered ones), checked
    /// directly: the definition, with no cleverness, for small histories.
    fn brute_force(h: &History, model: Model) -> bool {
        fn go(h: &History, model: Model, placed: &mut Vec<usize>, value: i64) -> bool {
            let n = h.ops.len();
            if (0..n).all(|i| h.ops[i].complete.is_none() || placed.contains(&i)) {
                return true;
            }
            for i in 0..n {
                if placed.contains(&i) {
                    continue;
                }
                // Every operation that must come before i is already placed, or (never answered)
                // left out for good: it is skipped by being placed with no effect.
                let blocked = (0..n).any(|j| {
                    !placed.contains(&j)
                        && match model {
                            Model::Linearizable => h.ops[j].precedes(&h.ops[i]),
                            Model::Sequential => {
                                j < i && h.ops[j].client == h.ops[i].client && h.ops[j].complete.is_some()
                            }
                        }
                });
                if blocked {
                    continue;
                }
                placed.push(i);
                if let Some(next) = apply(value, h.ops[i].kind)
                    && go(h, model, placed, next)
                {
                    return true;
                }
                if h.ops[i].complete.is_none() && go(h, model, placed, value) {
                    return true;
                }
                placed.pop();
            }
            false
        }
        go(h, model, &mut Vec::new(), h.init)
    }

    /// A second, independent brute force for linearizability: search directly for
    /// linearization points. Operations are placed in some order, each at the earliest instant
    /// inside its own interval not before the previous point; the register rules are written
    /// out afresh here rather than borrowed from `apply`.
    fn by_points(h: &History) -> bool {
        fn step(value: i64, kind: Kind) -> Option<i64> {
            match kind {
                Kind::Write(v) => Some(v),
                Kind::Read(None) => Some(value),
                Kind::Read(Some(v)) => {
                    if v == value {
                        Some(value)
                    } else {
                        None
                    }
                }
                Kind::Cas { from, to, ok } => match (value == from, ok) {
                    (true, Some(false)) | (false, Some(true)) => None,
                    (true, _) => Some(to),
                    (false, _) => Some(value),
                },
            }
        }
        fn go(h: &History, used: &mut Vec<bool>, at: u64, value: i64) -> bool {
            let n = h.ops.len();
            if (0..n).all(|i| used[i] || h.ops[i].complete.is_none()) {
                return true;
            }
            for i in 0..n {
                if used[i] {
                    continue;
                }
                let point = at.max(h.ops[i].invoke);
                if h.ops[i].complete.is_some_and(|c| point > c) {
                    continue;
                }
                used[i] = true;
                let found = step(value, h.ops[i].kind).is_some_and(|next| go(h, used, point, next))
                    // A never-answered operation may also have no effect at all.
                    || (h.ops[i].complete.is_none() && go(h, used, at, value));
                used[i] = false;
                if found {
                    return true;
                }
            }
            false
        }
        go(h, &mut vec![false; h.ops.len()], 0, h.init)
    }

    /// Compare-and-set histories written by hand, with their verdicts (linearizable, sequential).
    #[test]
    fn compare_and_set_by_hand() {
        let cases: &[(&str, bool, bool)] = &[
            ("c1 0 10 cas 0 1 ok\nc2 20 30 cas 0 2 fail\nc3 40 50 read 1", true, true),
            ("c1 0 10 cas 0 1 ok\nc2 20 30 cas 0 2 ok", false, false),
            ("c1 0 10 write 1\nc2 5 15 cas 1 2 ok\nc3 20 30 read 2", true, true),
            ("c1 0 10 cas 1 2 fail\nc2 20 30 read 0", true, true),
            ("c1 0 10 cas 0 5 fail", false, false),
            ("c1 0 ? cas 0 3\nc2 20 30 read 3\nc3 40 50 read 0", false, true),
            ("c1 0 10 write 1\nc2 20 30 cas 0 2 ok", false, true),
        ];
        for &(text, lin, seq) in cases {
            let h = parse(text).unwrap().0;
            assert_eq!(matches!(verdict(text, Model::Linearizable), Verdict::Ok(_)), lin, "{text}");
            assert_eq!(matches!(verdict(text, Model::Sequential), Verdict::Ok(_)), seq, "{text}");
            assert_eq!(by_points(&h), lin, "{text}");
        }
    }

    /// A random small history: 2–3 clients, 1–3 operations each, values 0–2, some never answered.
    fn random_history(rng: &mut Rng) -> History {
        let mut ops = Vec::new();
        for c in 0..rng.range(2, 3) {
            let mut t = rng.range(0, 5);
            for _ in 0..rng.range(1, 3) {
                let invoke = t;
                let pending = rng.chance(0.1);
                let complete = invoke + rng.range(1, 12);
                let v = rng.range(0, 2) as i64;
                let kind = match rng.range(0, 5) {
                    0 | 1 => Kind::Write(v),
                    2 | 3 => Kind::Read(if pending { None } else { Some(v) }),
                    _ => Kind::Cas {
                        from: v,
                        to: rng.range(0, 2) as i64,
                        ok: if pending { None } else { Some(rng.chance(0.6)) },
                    },
                };
                ops.push(Op {
                    line: 0,
                    client: format!("c{c}"),
                    invoke,
                    complete: (!pending).then_some(complete),
                    kind,
                });
                t = complete + rng.range(1, 4);
            }
        }
        ops.sort_by_key(|op| op.invoke);
        History { init: 0, ops }
    }

    #[test]
    fn agrees_with_brute_force_on_thousands_of_small_random_histories() {
        let mut rng = Rng::new(2024);
        let (mut lin, mut not) = (0, 0);
        for _ in 0..5000 {
            let h = random_history(&mut rng);
            for model in [Model::Linearizable, Model::Sequential] {
                let got = check(&h, model, 1_000_000).verdict;
                assert_ne!(got, Verdict::Exhausted);
                let expected = brute_force(&h, model);
                assert_eq!(matches!(got, Verdict::Ok(_)), expected, "{model:?}\n{}", h.to_text());
                if model == Model::Linearizable {
                    assert_eq!(by_points(&h), expected, "by points\n{}", h.to_text());
                }
                if let Verdict::Ok(order) = got {
                    // The order it returns is itself legal.
                    let mut value = h.init;
                    for &i in &order {
                        value = apply(value, h.ops[i].kind).expect("a legal step");
                    }
                    if model == Model::Linearizable {
                        lin += 1;
                        // ...and respects real time: nothing later in it completed before an
                        // earlier one was invoked.
                        for (a, &i) in order.iter().enumerate() {
                            for &j in &order[a + 1..] {
                                assert!(
                                    h.ops[j].complete.is_none_or(|c| c >= h.ops[i].invoke),
                                    "{}",
                                    h.to_text()
                                );
                            }
                        }
                    }
                } else if model == Model::Linearizable {
                    not += 1;
                    // The minimal violation is itself a violation, and every operation in it is
                    // needed.
                    let (subset, _) = minimal_violation(&h, model, 1_000_000);
                    let subset = subset.unwrap();
                    assert!(subset.decided);
                    assert!(!brute_force(&h.subset(&subset.ops), model));
                    assert!(every_operation_is_needed(&h, &subset.ops, model), "{}", h.to_text());
                }
            }
            if brute_force(&h, Model::Linearizable) {
                assert!(brute_force(&h, Model::Sequential));
            }
        }
        assert!(lin > 1000 && not > 1000, "both verdicts are common: {lin} linearizable, {not} not");
    }
}
