//! `raft::repair`: a new leader brings followers' logs in line with its own, as in the paper's
//! Figure 7. Its `nextIndex` for a follower starts just past its own last entry; each rejected
//! AppendEntries moves it back (one entry at a time over conflicting entries, straight to the
//! end of a shorter log), until the consistency check passes and the follower drops what
//! conflicts. Every message is the real `node::Server` code.

use super::node::{Entry, Msg, Role, Server};
use crate::input::Params;
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "raft::repair",
    title: "Log repair: the leader's nextIndex walks back over a follower's divergent log",
    file: file!(),
    default_input: "# The paper's Figure 7: the term of each entry of the new leader's log (term 8)\n\
                    term = 8\nleader = 1 1 1 4 4 5 5 6 6 6\n\
                    # followers (b), (d) and (f) of the figure\n\
                    follower = 1 1 1 4\nfollower = 1 1 1 4 4 5 5 6 6 6 7 7\nfollower = 1 1 1 2 2 2 3 3 3 3 3\n",
    input_help: "`term` (the leader's), `leader` = the term of each entry, `follower` = the same for one follower (1–6 of them); \
                 follower terms must be below the leader's term",
    runs: Runs::Everywhere,
    run: Run::Text(run),
};

fn terms(log: &[Entry]) -> String {
    if log.is_empty() {
        return "(empty)".into();
    }
    log.iter().map(|e| format!("{:>2}", e.term)).collect::<Vec<_>>().join(" ")
}

fn entries(terms: &[u64], who: &str) -> Vec<Entry> {
    terms.iter().enumerate().map(|(i, &term)| Entry { term, command: format!("{who}{}", i + 1) }).collect()
}

fn run(input: &str) -> Result<String, InputError> {
    let p = Params::parse(input, &["term", "leader", "follower"])?;
    let term: u64 = p.number("term", 2, 1_000)?;
    let leader_line = p.one("leader")?.ok_or_else(|| InputError::new("missing `leader = …`"))?;
    let leader_terms = leader_line.numbers(1, term)?;
    if leader_terms.windows(2).any(|w| w[1] < w[0]) {
        return Err(InputError::at_line(leader_line.line, "terms in a log never go down"));
    }
    let followers: Vec<_> = p.all("follower").collect();
    if followers.is_empty() || followers.len() > 6 {
        return Err(InputError::new("give 1 to 6 `follower = …` lines"));
    }
    let mut out = String::new();
    let index_row: String =
        (1..=leader_terms.len().max(12)).map(|i| format!("{i:>2}")).collect::<Vec<_>>().join(" ");
    for (k, line) in followers.iter().enumerate() {
        let follower_terms = line.numbers(1, term - 1)?;
        if follower_terms.windows(2).any(|w| w[1] < w[0]) {
            return Err(InputError::at_line(line.line, "terms in a log never go down"));
        }
        // The leader's own entries say `L<i>`, the follower's `F<i>`: where the terms agree,
        // Raft's log matching property says the commands do too, so give them the leader's.
        let mut leader = Server::new(0, 2);
        leader.current_term = term;
        leader.role = Role::Leader;
        leader.log = entries(&leader_terms, "L");
        leader.next_index = vec![0, leader.log.len() + 1];
        let mut follower = Server::new(1, 2);
        follower.log = entries(&follower_terms, "F");
        follower.current_term = follower_terms.last().copied().unwrap_or(0);
        let common = (0..follower.log.len().min(leader.log.len()))
            .rev()
            .find(|&i| follower.log[i].term == leader.log[i].term)
            .map_or(0, |i| i + 1);
        for i in 0..common {
            follower.log[i].command = leader.log[i].command.clone();
        }
        out.push_str(&format!("follower {} (input line {})\n", k + 1, line.line));
        out.push_str(&format!("  index     {index_row}\n"));
        out.push_str(&format!("  leader    {}\n", terms(&leader.log)));
        out.push_str(&format!("  follower  {}\n", terms(&follower.log)));
        // ANCHOR: walk
        let mut rounds = 0;
        loop {
            rounds += 1;
            let next = leader.next_index[1];
            let (_, request) = leader.heartbeat().send.remove(0);
            let reply = follower.receive(0, request.clone());
            let (_, answer) = &reply.send[0];
            out.push_str(&format!("  nextIndex {next:>2}: {}\n", request.describe()));
            for note in &reply.notes {
                out.push_str(&format!("      follower {note}\n"));
            }
            out.push_str(&format!("      → {}\n", answer.describe()));
            let success = matches!(answer, Msg::Appended { success: true, .. });
            leader.receive(1, answer.clone());
            if success || rounds == 64 {
                break;
            }
        }
        // ANCHOR_END: walk
        out.push_str(&format!("  follower  {}   after {rounds} AppendEntries\n", terms(&follower.log)));
        if follower.log.len() > leader.log.len() {
            // The extra entries match nothing the leader sent, so they stay until the leader's
            // own entry at that index arrives and conflicts with them.
            let (index, mut fx) = leader.propose("no-op").expect("a leader");
            let (_, request) = fx.send.remove(0);
            let reply = follower.receive(0, request.clone());
            out.push_str(&format!(
                "  the extra entries stay until the leader appends entry {index} (term {term}) and sends it:\n"
            ));
            out.push_str(&format!("              {}\n", request.describe()));
            for note in &reply.notes {
                out.push_str(&format!("      follower {note}\n"));
            }
            out.push_str(&format!("  follower  {}\n", terms(&follower.log)));
        }
        let same = follower.log.iter().zip(&leader.log).all(|(f, l)| f == l);
        out.push_str(&format!(
            "  the follower's log is now a prefix of the leader's, commands included: {}\n\n",
            crate::yes(same && follower.log.len() <= leader.log.len())
        ));
    }
    out.pop();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_case_of_figure_7_ends_as_a_prefix_of_the_leader() {
        let cases = [
            "1 1 1 4 4 5 5 6 6",
            "1 1 1 4",
            "1 1 1 4 4 5 5 6 6 6 6",
            "1 1 1 4 4 5 5 6 6 6 7 7",
            "1 1 1 4 4 4 4",
            "1 1 1 2 2 2 3 3 3 3 3",
        ];
        for case in cases {
            let out = run(&format!("term = 8\nleader = 1 1 1 4 4 5 5 6 6 6\nfollower = {case}\n")).unwrap();
            assert!(
                out.ends_with("commands included: yes\n") || out.ends_with("commands included: yes"),
                "{out}"
            );
        }
        let error = run("term = 3\nleader = 1 2\nfollower = 1 3\n").unwrap_err();
        assert_eq!(error.to_string(), "input line 3: 3 is out of range (from 1 to 2)");
    }
}
