//! One Raft server, as Figure 2 of Ongaro and Ousterhout's paper ("In Search of an
//! Understandable Consensus Algorithm (Extended Version)", 2014) states it: its persistent state
//! (`current_term`, `voted_for`, `log`), its volatile state (`commit_index`, `last_applied`, and
//! on a leader `next_index` and `match_index`), and the receiver rules of RequestVote and
//! AppendEntries. The server never touches a clock or a socket: the simulator (`sim.rs`) calls
//! [`Server::time_out`], [`Server::heartbeat`], [`Server::propose`] and [`Server::receive`], and
//! delivers the messages they return. Log indexes start at 1, as in the paper; index 0 is the
//! empty prefix, whose term is 0.

/// A server's number, `0..n`; the pages call server 0 `S1`.
pub type Id = usize;

/// One log entry: the term of the leader that created it, and the client's command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub term: u64,
    pub command: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Follower,
    Candidate,
    Leader,
}

/// The two RPCs and their replies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Msg {
    RequestVote {
        term: u64,
        last_log_index: usize,
        last_log_term: u64,
    },
    Vote {
        term: u64,
        granted: bool,
    },
    AppendEntries {
        term: u64,
        prev_log_index: usize,
        prev_log_term: u64,
        entries: Vec<Entry>,
        leader_commit: usize,
    },
    /// The reply to AppendEntries. On success `index` is the last index the follower now
    /// matches; on failure it is the follower's last log index, a hint that lets the leader
    /// skip a gap at once (the paper's §5.3 mentions such an optimisation) while still walking
    /// back one entry at a time over entries that conflict.
    Appended {
        term: u64,
        success: bool,
        index: usize,
    },
}

impl Msg {
    pub fn term(&self) -> u64 {
        match *self {
            Msg::RequestVote { term, .. }
            | Msg::Vote { term, .. }
            | Msg::AppendEntries { term, .. }
            | Msg::Appended { term, .. } => term,
        }
    }

    pub fn is_reply(&self) -> bool {
        matches!(self, Msg::Vote { .. } | Msg::Appended { .. })
    }

    /// An AppendEntries with no entries, or a successful reply to one that matched nothing
    /// new: the traffic of a quiet cluster.
    pub fn is_heartbeat(&self) -> bool {
        matches!(self, Msg::AppendEntries { entries, .. } if entries.is_empty())
    }

    /// Short, for the drawing: `RequestVote t3`, `vote ✓`, `AppendEntries 4–5`, `ok 5`.
    pub fn label(&self) -> String {
        match self {
            Msg::RequestVote { term, .. } => format!("RequestVote t{term}"),
            Msg::Vote { granted: true, .. } => "vote ✓".into(),
            Msg::Vote { granted: false, .. } => "vote ✗".into(),
            Msg::AppendEntries { entries, prev_log_index, .. } if entries.is_empty() => {
                format!("heartbeat @{prev_log_index}")
            }
            Msg::AppendEntries { entries, prev_log_index, .. } if entries.len() == 1 => {
                format!("AppendEntries {}", prev_log_index + 1)
            }
            Msg::AppendEntries { entries, prev_log_index, .. } => {
                format!("AppendEntries {}–{}", prev_log_index + 1, prev_log_index + entries.len())
            }
            Msg::Appended { success: true, index, .. } => format!("ok {index}"),
            Msg::Appended { success: false, .. } => "no".into(),
        }
    }

    /// Longer, for the text log.
    pub fn describe(&self) -> String {
        match self {
            Msg::RequestVote { term, last_log_index, last_log_term } => {
                format!("RequestVote(term {term}, last log {last_log_index}@t{last_log_term})")
            }
            Msg::Vote { term, granted } => {
                format!("vote {} (term {term})", if *granted { "yes" } else { "no" })
            }
            Msg::AppendEntries { term, prev_log_index, prev_log_term, entries, leader_commit } => {
                let what = match entries.len() {
                    0 => "no entries".to_string(),
                    1 => format!("entry {}", prev_log_index + 1),
                    k => format!("entries {}–{}", prev_log_index + 1, prev_log_index + k),
                };
                format!(
                    "AppendEntries(term {term}, prev {prev_log_index}@t{prev_log_term}, {what}, commit {leader_commit})"
                )
            }
            Msg::Appended { term, success: true, index } => {
                format!("ok, matches up to {index} (term {term})")
            }
            Msg::Appended { term, success: false, index } => {
                format!("rejected, my last index is {index} (term {term})")
            }
        }
    }
}

/// Bugs a test can plant to show that the checker catches them. Never set by an example.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Planted {
    /// Grant votes without RequestVote's up-to-date check (§5.4.1).
    pub skip_up_to_date_check: bool,
    /// Let a leader commit an entry of an earlier term by counting replicas (what §5.4.2 and
    /// Figure 8 forbid).
    pub commit_old_terms_by_count: bool,
    /// Count a vote that answers an earlier candidacy (a reply of an older term).
    pub count_stale_votes: bool,
    /// Receiver rule 5 without its min: take the leader's commit index even past the last new
    /// entry, over entries the leader has not yet confirmed.
    pub commit_past_last_new: bool,
    /// A majority as (n + 1) / 2, right for odd n and one short for even n.
    pub wrong_majority: bool,
}

/// What handling one input did: messages to send, whether the election timer restarts, and
/// notes for the log (`becomes leader`, `truncates its log after 3`).
#[derive(Debug, Default)]
pub struct Effects {
    pub send: Vec<(Id, Msg)>,
    pub reset_timer: bool,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Server {
    pub id: Id,
    pub n: usize,
    // Persistent state: on disk before the server answers anyone, kept across a crash.
    pub current_term: u64,
    pub voted_for: Option<Id>,
    pub log: Vec<Entry>,
    // Volatile state: lost in a crash.
    pub role: Role,
    pub commit_index: usize,
    pub last_applied: usize,
    /// The state machine: the commands applied so far, entry 1 first (rebuilt after a crash
    /// by applying the log again as the commit index is learned).
    pub applied: Vec<Entry>,
    pub votes: Vec<bool>,
    pub next_index: Vec<usize>,
    pub match_index: Vec<usize>,
    pub planted: Planted,
    /// Whether a new leader appends a no-op entry of its term (§8), which commits everything
    /// before it as soon as it is on a majority. Figure 2 alone does without it.
    pub no_op: bool,
    /// At most this many entries per AppendEntries (etcd's `MaxSizePerMsg`, in entries); a
    /// leader sends the next batch as soon as one is acknowledged. `None`: the whole suffix.
    pub max_entries: Option<usize>,
}

impl Server {
    pub fn new(id: Id, n: usize) -> Self {
        Server {
            id,
            n,
            current_term: 0,
            voted_for: None,
            log: Vec::new(),
            role: Role::Follower,
            commit_index: 0,
            last_applied: 0,
            applied: Vec::new(),
            votes: vec![false; n],
            next_index: vec![1; n],
            match_index: vec![0; n],
            planted: Planted::default(),
            no_op: true,
            max_entries: None,
        }
    }

    fn name(id: Id) -> String {
        format!("S{}", id + 1)
    }

    pub fn last_log_index(&self) -> usize {
        self.log.len()
    }

    /// The term of entry `index` (0 for index 0, the empty prefix).
    pub fn term_at(&self, index: usize) -> Option<u64> {
        if index == 0 { Some(0) } else { self.log.get(index - 1).map(|e| e.term) }
    }

    pub fn last_log_term(&self) -> u64 {
        self.log.last().map_or(0, |e| e.term)
    }

    fn majority(&self) -> usize {
        if self.planted.wrong_majority { self.n.div_ceil(2) } else { self.n / 2 + 1 }
    }

    /// A crash: the disk survives, memory does not.
    pub fn crash(&mut self) {
        let keep = (self.current_term, self.voted_for.take(), std::mem::take(&mut self.log));
        *self = Server {
            planted: self.planted,
            no_op: self.no_op,
            max_entries: self.max_entries,
            ..Server::new(self.id, self.n)
        };
        (self.current_term, self.voted_for, self.log) = keep;
    }

    // ANCHOR: election
    /// The election timer fired: become a candidate in a new term, vote for yourself, ask
    /// everyone else.
    pub fn time_out(&mut self) -> Effects {
        let mut fx = Effects { reset_timer: true, ..Effects::default() };
        self.current_term += 1;
        self.role = Role::Candidate;
        self.voted_for = Some(self.id);
        self.votes = vec![false; self.n];
        self.votes[self.id] = true;
        fx.notes.push(format!("times out: candidate for term {}", self.current_term));
        let ask = Msg::RequestVote {
            term: self.current_term,
            last_log_index: self.last_log_index(),
            last_log_term: self.last_log_term(),
        };
        fx.send = self.others().map(|peer| (peer, ask.clone())).collect();
        if self.n == 1 {
            self.become_leader(&mut fx);
        }
        fx
    }

    /// §5.4.1: the candidate's log is at least as up-to-date as ours when its last term is
    /// later, or the same with a log at least as long.
    fn up_to_date(&self, last_log_index: usize, last_log_term: u64) -> bool {
        (last_log_term, last_log_index) >= (self.last_log_term(), self.last_log_index())
    }

    fn on_request_vote(
        &mut self,
        from: Id,
        term: u64,
        last_log_index: usize,
        last_log_term: u64,
        fx: &mut Effects,
    ) {
        let free = self.voted_for.is_none() || self.voted_for == Some(from);
        let current = self.planted.skip_up_to_date_check || self.up_to_date(last_log_index, last_log_term);
        let granted = term == self.current_term && free && current;
        if granted {
            self.voted_for = Some(from);
            fx.reset_timer = true;
            fx.notes.push(format!("votes for {} in term {term}", Self::name(from)));
        } else if term == self.current_term && free {
            fx.notes.push(format!("refuses {}: its log is behind mine", Self::name(from)));
        } else if let (true, Some(other)) = (term == self.current_term, self.voted_for) {
            fx.notes.push(format!("has already voted for {} in term {term}", Self::name(other)));
        }
        fx.send.push((from, Msg::Vote { term: self.current_term, granted }));
    }

    fn on_vote(&mut self, from: Id, term: u64, granted: bool, fx: &mut Effects) {
        let stale_ok = self.planted.count_stale_votes && term < self.current_term;
        if self.role != Role::Candidate || (term != self.current_term && !stale_ok) || !granted {
            return;
        }
        self.votes[from] = true;
        if self.votes.iter().filter(|&&v| v).count() >= self.majority() {
            self.become_leader(fx);
        }
    }

    fn become_leader(&mut self, fx: &mut Effects) {
        self.role = Role::Leader;
        self.next_index = vec![self.last_log_index() + 1; self.n];
        self.match_index = vec![0; self.n];
        // A no-op of its own term (§8): committing it commits everything before it.
        if self.no_op {
            self.log.push(Entry { term: self.current_term, command: "no-op".into() });
        }
        self.match_index[self.id] = self.last_log_index();
        fx.notes.push(format!("becomes leader for term {}", self.current_term));
        fx.send.extend(self.heartbeat().send);
        self.advance_commit(fx);
    }
    // ANCHOR_END: election

    fn others(&self) -> impl Iterator<Item = Id> + use<> {
        let (me, n) = (self.id, self.n);
        (0..n).filter(move |&p| p != me)
    }

    /// A leader's AppendEntries to each follower, from its `next_index` on.
    pub fn heartbeat(&mut self) -> Effects {
        let mut fx = Effects::default();
        if self.role == Role::Leader {
            for peer in self.others() {
                fx.send.push((peer, self.append_for(peer)));
            }
        }
        fx
    }

    fn append_for(&self, peer: Id) -> Msg {
        let prev_log_index = self.next_index[peer] - 1;
        let end = match self.max_entries {
            Some(k) => self.log.len().min(prev_log_index + k),
            None => self.log.len(),
        };
        Msg::AppendEntries {
            term: self.current_term,
            prev_log_index,
            prev_log_term: self.term_at(prev_log_index).unwrap_or(0),
            entries: self.log[prev_log_index..end].to_vec(),
            leader_commit: self.commit_index,
        }
    }

    /// A client's command: a leader appends it and sends it at once; others refuse.
    pub fn propose(&mut self, command: &str) -> Option<(usize, Effects)> {
        if self.role != Role::Leader {
            return None;
        }
        self.log.push(Entry { term: self.current_term, command: command.to_string() });
        self.match_index[self.id] = self.last_log_index();
        let mut fx = self.heartbeat();
        self.advance_commit(&mut fx);
        Some((self.last_log_index(), fx))
    }

    // ANCHOR: receive
    pub fn receive(&mut self, from: Id, msg: Msg) -> Effects {
        let mut fx = Effects::default();
        // Every RPC, request or reply: a later term makes us a follower of that term.
        if msg.term() > self.current_term {
            if self.role != Role::Follower {
                fx.notes.push(format!("sees term {} and steps down", msg.term()));
            }
            self.current_term = msg.term();
            self.voted_for = None;
            self.role = Role::Follower;
        }
        match msg {
            Msg::RequestVote { term, last_log_index, last_log_term } => {
                self.on_request_vote(from, term, last_log_index, last_log_term, &mut fx)
            }
            Msg::Vote { term, granted } => self.on_vote(from, term, granted, &mut fx),
            Msg::AppendEntries { term, prev_log_index, prev_log_term, entries, leader_commit } => self
                .on_append_entries(
                    from,
                    term,
                    prev_log_index,
                    prev_log_term,
                    entries,
                    leader_commit,
                    &mut fx,
                ),
            Msg::Appended { term, success, index } => self.on_appended(from, term, success, index, &mut fx),
        }
        fx
    }

    #[allow(clippy::too_many_arguments)]
    fn on_append_entries(
        &mut self,
        from: Id,
        term: u64,
        prev_log_index: usize,
        prev_log_term: u64,
        entries: Vec<Entry>,
        leader_commit: usize,
        fx: &mut Effects,
    ) {
        let reply = |success, index| (from, Msg::Appended { term, success, index });
        // 1. Reply false if term < currentTerm.
        if term < self.current_term {
            fx.notes.push(format!("rejects: term {term} is older than its term {}", self.current_term));
            fx.send.push((
                from,
                Msg::Appended { term: self.current_term, success: false, index: self.last_log_index() },
            ));
            return;
        }
        // A current leader exists: a candidate of this term gives up, and the timer restarts.
        if self.role == Role::Candidate {
            fx.notes.push(format!("hears from leader {} and steps down", Self::name(from)));
        }
        self.role = Role::Follower;
        fx.reset_timer = true;
        // 2. Reply false if the log has no entry at prevLogIndex whose term is prevLogTerm.
        if self.term_at(prev_log_index) != Some(prev_log_term) {
            fx.notes.push(match self.term_at(prev_log_index) {
                None => format!("has no entry {prev_log_index}: rejects"),
                Some(t) => format!("entry {prev_log_index} has term {t}, not {prev_log_term}: rejects"),
            });
            fx.send.push(reply(false, self.last_log_index()));
            return;
        }
        // 3. An existing entry that conflicts with a new one (same index, other term): delete it
        //    and all that follow. 4. Append the entries not already in the log.
        for (k, entry) in entries.iter().enumerate() {
            let index = prev_log_index + 1 + k;
            match self.term_at(index) {
                Some(t) if t == entry.term => {}
                Some(_) => {
                    fx.notes.push(format!("entry {index} conflicts: truncates its log from {index}"));
                    self.log.truncate(index - 1);
                    self.log.push(entry.clone());
                    // Only a planted bug gets here with a committed entry: keep the counters
                    // within the log, and let the checker see the state machine disagree.
                    if self.commit_index >= index {
                        self.commit_index = index - 1;
                        self.last_applied = self.last_applied.min(index - 1);
                        self.applied.truncate(index - 1);
                    }
                }
                None => self.log.push(entry.clone()),
            }
        }
        let last_new = prev_log_index + entries.len();
        if !entries.is_empty() {
            fx.notes.push(format!("appends up to {last_new}"));
        }
        // 5. If leaderCommit > commitIndex, commitIndex = min(leaderCommit, index of last new entry).
        if leader_commit > self.commit_index {
            let to =
                if self.planted.commit_past_last_new { leader_commit } else { leader_commit.min(last_new) };
            if to > self.commit_index {
                self.commit_index = to;
                self.apply(fx);
            }
        }
        fx.send.push(reply(true, last_new));
    }

    fn on_appended(&mut self, from: Id, term: u64, success: bool, index: usize, fx: &mut Effects) {
        if self.role != Role::Leader || term != self.current_term {
            return;
        }
        if success {
            self.match_index[from] = self.match_index[from].max(index);
            self.next_index[from] = self.match_index[from] + 1;
            self.advance_commit(fx);
            // With a cap, the rest of a long suffix follows at once rather than a heartbeat later.
            if self.max_entries.is_some() && self.next_index[from] <= self.last_log_index() {
                fx.send.push((from, self.append_for(from)));
            }
        } else {
            // Walk back: one entry, or straight past the end of a shorter log.
            self.next_index[from] = (self.next_index[from] - 1).min(index + 1).max(1);
            fx.send.push((from, self.append_for(from)));
        }
    }

    /// §5.3–5.4.2: the largest N > commitIndex that a majority holds, provided entry N is of
    /// the leader's own term; entries before it are committed with it.
    fn advance_commit(&mut self, fx: &mut Effects) {
        for candidate in (self.commit_index + 1..=self.last_log_index()).rev() {
            let own_term = self.log[candidate - 1].term == self.current_term;
            let holders = self.match_index.iter().filter(|&&m| m >= candidate).count();
            if holders >= self.majority() && (own_term || self.planted.commit_old_terms_by_count) {
                fx.notes.push(format!("commits up to {candidate}"));
                self.commit_index = candidate;
                self.apply(fx);
                break;
            }
        }
    }
    // ANCHOR_END: receive

    fn apply(&mut self, _fx: &mut Effects) {
        // `min`: only the planted `commit_past_last_new` sets a commit index past the log.
        while self.last_applied < self.commit_index.min(self.log.len()) {
            self.last_applied += 1;
            self.applied.push(self.log[self.last_applied - 1].clone());
        }
    }
}
