//! `raft::predict`: a seed runs a five-server cluster through lost messages, a partition and a
//! crash, then stops just as the leader crashes. The reader sees the logs and predicts who can
//! win the next election and which entries the next leader is sure to hold; the answer works
//! it out with the voting rule and then lets the same run go on.

use super::cluster::summary;
use super::node::{Role, Server};
use super::sim::{Config, Do, Outcome, name, simulate};
use crate::input::Params;
use crate::registry::{Example, InputError, REVEAL_MARKER, Run, Runs};
use crate::rng::Rng;

pub const EXAMPLE: Example = Example {
    id: "raft::predict",
    title: "The leader crashes: who can win, and which entries survive? (predict, then reveal)",
    file: file!(),
    default_input: "seed = 3\n",
    input_help: "`seed = N`: any number gives another history and another crash",
    runs: Runs::Everywhere,
    run: Run::Text(run),
};

/// A history for `seed`: requests, loss, a partition that heals, perhaps a follower's crash;
/// the leader crashes at `crash_at`, just after a last burst of requests.
fn history(seed: u64) -> (Config, u64) {
    let mut rng = Rng::new(seed.wrapping_mul(0x9E37_79B9).wrapping_add(17));
    let mut c = Config::new(5, seed);
    c.loss = 0.05 + rng.next_f64() * 0.1;
    c.delay = (2, 30);
    let crash_at = rng.range(700, 1_300);
    let mut t = rng.range(150, 300);
    while t < crash_at {
        c.script.push((t, Do::Request(format!("c{t}"))));
        t += rng.range(40, 120);
    }
    for k in 1..=3 {
        c.script.push((crash_at - k * 4, Do::Request(format!("last{k}"))));
    }
    let at = rng.range(300, crash_at - 300);
    let sides = (0..5).map(|_| rng.range(0, 1) as usize).collect();
    c.script.push((at, Do::Partition(sides)));
    c.script.push((at + rng.range(150, 280), Do::Heal));
    if rng.chance(0.5) {
        c.script.push((rng.range(400, crash_at), Do::Crash(rng.range(0, 4) as usize)));
    }
    c.script.sort_by_key(|(at, _)| *at);
    (c, crash_at)
}

fn clone_outcome(o: &Outcome) -> Outcome {
    Outcome {
        servers: o.servers.clone(),
        up: o.up.clone(),
        records: Vec::new(),
        violations: o.violations.clone(),
        leaders: o.leaders.clone(),
        events: o.events,
        stopped_early: o.stopped_early,
        committed: o.committed,
    }
}

// ANCHOR: predict
/// Whether `candidate` may have `voter`'s vote in a new term: its log is at least as
/// up-to-date (§5.4.1).
fn would_vote(candidate: &Server, voter: &Server) -> bool {
    (candidate.last_log_term(), candidate.last_log_index()) >= (voter.last_log_term(), voter.last_log_index())
}

/// Each server that is up: the servers that would vote for it, and whether they are a majority.
fn electable(o: &Outcome) -> Vec<(usize, Vec<usize>, bool)> {
    let up: Vec<usize> = (0..o.servers.len()).filter(|&s| o.up[s]).collect();
    up.iter()
        .map(|&c| {
            let voters: Vec<usize> =
                up.iter().copied().filter(|&v| would_vote(&o.servers[c], &o.servers[v])).collect();
            let wins = voters.len() > o.servers.len() / 2;
            (c, voters, wins)
        })
        .collect()
}
// ANCHOR_END: predict

fn run(input: &str) -> Result<String, InputError> {
    let p = Params::parse(input, &["seed"])?;
    let seed: u64 = p.number("seed", 0, u64::MAX)?;
    // Look for a history where a leader is up at the crash (the seed's first such try).
    let (mut c, crash_at, before, leader) = (0..200u64)
        .find_map(|k| {
            let (mut c, crash_at) = history(seed.wrapping_add(k * 1_000_003));
            c.until = crash_at - 1;
            let before = simulate(&c);
            let leader = (0..5)
                .filter(|&s| before.up[s] && before.servers[s].role == Role::Leader)
                .max_by_key(|&s| before.servers[s].current_term)?;
            // Worth predicting: the survivors' logs differ and not all of them can win.
            let mut after = Outcome { up: before.up.clone(), ..clone_outcome(&before) };
            after.up[leader] = false;
            let options = electable(&after);
            let logs: Vec<_> = options.iter().map(|o| &after.servers[o.0].log).collect();
            let differ = logs.windows(2).any(|w| w[0] != w[1]);
            let some_lose = options.iter().any(|o| !o.2);
            let some_win = options.iter().any(|o| o.2);
            (differ && some_lose && some_win).then_some((c, crash_at, before, leader))
        })
        .ok_or_else(|| InputError::new("no history with a leader for this seed; try another"))?;
    let mut out = format!(
        "Five servers, seed {seed}. Clients write every 40–120 ms; the network loses {:.0}% of messages;\n\
         a partition comes and goes. At {crash_at} ms, just after three quick writes, the leader {}\n\
         (term {}) crashes, and what it still had on the wire is lost. The logs (each entry's term;\n\
         | after what each server knows to be committed):\n\n",
        c.loss * 100.0,
        name(leader),
        before.servers[leader].current_term
    );
    out.push_str(&summary(&before));
    let down: Vec<String> = (0..5).filter(|&s| !before.up[s] && s != leader).map(name).collect();
    if !down.is_empty() {
        out.push_str(&format!("{} crashed earlier and stays down.\n", down.join(" ")));
    }
    out.push_str(
        "\nWhich servers can win the next election? Which entries is the next leader sure to hold,\n\
         whoever wins?\n",
    );
    out.push_str(REVEAL_MARKER);
    out.push('\n');

    // The analysis, on the state after the crash.
    let mut after = Outcome { up: before.up.clone(), ..before };
    after.up[leader] = false;
    let options = electable(&after);
    out.push_str(
        "A voter grants its vote when the candidate's last term is later than its own, or the same\n",
    );
    out.push_str(
        "with a log at least as long. Three votes of five are needed; the crashed servers give none.\n",
    );
    for (cand, voters, wins) in &options {
        let s = &after.servers[*cand];
        out.push_str(&format!(
            "  {} (last entry {}, term {}): votes from {} → {}\n",
            name(*cand),
            s.last_log_index(),
            s.last_log_term(),
            voters.iter().map(|&v| name(v)).collect::<Vec<_>>().join(" "),
            if *wins { "can win" } else { "cannot win" }
        ));
    }
    let winners: Vec<&Server> = options.iter().filter(|o| o.2).map(|o| &after.servers[o.0]).collect();
    if winners.is_empty() {
        out.push_str("Nobody can win until a crashed server comes back: the cluster cannot make progress.\n");
    } else {
        let sure = (0..)
            .take_while(|&i| {
                let first = winners[0].log.get(i);
                first.is_some() && winners.iter().all(|w| w.log.get(i) == first)
            })
            .count();
        let known = after.servers.iter().map(|s| s.commit_index).max().unwrap_or(0);
        out.push_str(&format!(
            "Every possible winner holds entries 1–{sure} (the same ones), so the next leader keeps them;\n\
             entries known to be committed go up to {known}, and leader completeness says they are among them.\n"
        ));
        if winners.iter().any(|w| w.log.len() > sure) {
            out.push_str("Entries after that survive only if a server holding them wins.\n");
        }
    }
    // The same run, going on for another second.
    c.until = crash_at + 1_000;
    c.script.push((crash_at, Do::Crash(leader)));
    c.script.push((crash_at, Do::Isolate(leader)));
    let later = simulate(&c);
    let next: Vec<String> = later
        .leaders
        .iter()
        .filter(|(t, _)| *t > after.servers[leader].current_term)
        .map(|(t, s)| format!("{} in term {t}", name(*s)))
        .collect();
    let first = later.leaders.iter().find(|(t, _)| *t > after.servers[leader].current_term);
    if first.is_some_and(|(_, s)| !options.iter().any(|o| o.0 == *s && o.2)) {
        out.push_str("unexpected: the winner was not electable\n");
    }
    out.push_str(&format!(
        "\nWhat happened next, one second on: {}.\n",
        if next.is_empty() { "no new leader".to_string() } else { next.join(", then ") }
    ));
    out.push_str(&summary(&later));
    if !later.violations.is_empty() {
        out.push_str(&format!("safety violated: {:?}\n", later.violations));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_seed_tells_a_safe_story_and_the_winner_was_electable() {
        for seed in 0..60 {
            let out = run(&format!("seed = {seed}")).unwrap();
            assert!(out.contains(REVEAL_MARKER), "seed {seed}: {out}");
            assert!(!out.contains("safety violated") && !out.contains("unexpected"), "seed {seed}: {out}");
        }
    }
}
