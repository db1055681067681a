//! `stream::predict`: a seeded batch of out-of-order events, tumbling windows, a watermark and
//! an allowed lateness. The reader predicts, for every event that arrives behind the largest
//! event time already seen, whether it is counted on time, updates a window that already fired,
//! or is dropped; the answer is the same run as `stream::windows`.

use std::fmt::Write;

use super::windows::{Config, Event, Windows, figure, generate, report, simulate};
use crate::input::Params;
use crate::registry::{Drawn, Example, InputError, REVEAL_MARKER, Run, Runs};
use crate::rng::Rng;

pub const EXAMPLE: Example = Example {
    id: "stream::predict",
    title: "On time, a late update, or dropped? (predict, then reveal)",
    file: file!(),
    default_input: "seed = 54\n",
    input_help: "`seed = N`: any number gives other events, windows, watermark delay and lateness",
    runs: Runs::Everywhere,
    run: Run::Drawn(run),
};

// ANCHOR: puzzle
/// The puzzle for `seed`.
pub fn puzzle(seed: u64) -> Config {
    let mut rng = Rng::new(seed.wrapping_mul(0x9E37_79B9).wrapping_add(5));
    let size = [5, 10][rng.range(0, 1) as usize];
    let delay = rng.range(1, 4) as i64;
    let lateness = rng.range(0, 3) as i64 * 2;
    // Draw until at least two events arrive behind one already seen: something to predict.
    let mut attempt = 0;
    let events = loop {
        let events = generate(seed.wrapping_mul(31).wrapping_add(attempt), 8, 10);
        if behind(&events) >= 2 || attempt == 50 {
            break events;
        }
        attempt += 1;
    };
    Config { windows: Windows::Tumbling { size }, delay, lateness, events }
}
// ANCHOR_END: puzzle

/// How many events arrive with an event time below one already seen.
fn behind(events: &[Event]) -> usize {
    let mut order: Vec<&Event> = events.iter().collect();
    order.sort_by_key(|e| (e.arrival, e.id));
    let mut max_seen = i64::MIN;
    order
        .into_iter()
        .filter(|e| {
            let behind = e.time < max_seen;
            max_seen = max_seen.max(e.time);
            behind
        })
        .count()
}

fn run(input: &str) -> Result<Drawn, InputError> {
    let p = Params::parse(input, &["seed"])?;
    let seed = p.number_or("seed", 0, u64::MAX, 54)?;
    let c = puzzle(seed);
    let Windows::Tumbling { size } = c.windows else { unreachable!() };
    let mut text = String::new();
    writeln!(
        text,
        "Tumbling windows of {size}; the watermark is the largest event time seen minus {}; a fired \
         window is kept for {} more units of watermark.\nEvents in arrival order (p = processing time):",
        c.delay, c.lateness
    )
    .unwrap();
    let mut order: Vec<_> = c.events.iter().collect();
    order.sort_by_key(|e| (e.arrival, e.id));
    let mut max_seen = i64::MIN;
    let mut asked = Vec::new();
    for e in order {
        let behind = e.time < max_seen;
        writeln!(
            text,
            "  p={:>2}  e{}  event time {:>2}  value {}{}",
            e.arrival,
            e.id,
            e.time,
            e.value,
            if behind { "   ?" } else { "" }
        )
        .unwrap();
        if behind {
            asked.push(format!("e{}", e.id));
        }
        max_seen = max_seen.max(e.time);
    }
    if asked.is_empty() {
        text.push_str(
            "Every event arrives in event-time order. What does each window report, and when does it fire?\n",
        );
    } else {
        writeln!(
            text,
            "For {} (marked ?, behind an event already seen): on time, a late update of a fired window, \
             or dropped? And what does each window finally report?",
            asked.join(", ")
        )
        .unwrap();
    }
    text.push_str(REVEAL_MARKER);
    text.push('\n');
    let o = simulate(&c);
    text.push_str(&report(&c, &o));
    Ok(Drawn { text, figure: figure(&c, &o) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn puzzles_run_and_some_have_each_fate() {
        use super::super::windows::{Fate, Happening};
        let mut seen = [false; 4];
        for seed in 0..500 {
            let c = puzzle(seed);
            let o = simulate(&c);
            for h in &o.log {
                if let Happening::Arrived { fates, .. } = h {
                    for (_, f) in fates {
                        seen[*f as usize] = true;
                    }
                }
            }
            figure(&c, &o).validate().unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        }
        assert!(seen.iter().all(|&s| s), "{seen:?}");
        // The default seed shows every kind of late event.
        let c = puzzle(54);
        let o = simulate(&c);
        let fates: Vec<Fate> = o
            .log
            .iter()
            .flat_map(|h| match h {
                Happening::Arrived { fates, .. } => fates.iter().map(|(_, f)| *f).collect(),
                _ => Vec::new(),
            })
            .collect();
        for f in [Fate::LateUpdate, Fate::Dropped] {
            assert!(fates.contains(&f), "{f:?} not in seed 54");
        }
    }
}
