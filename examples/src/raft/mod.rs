//! Chapter "Consensus: Raft".
//!
//! * `node`: one Raft server as the paper's Figure 2 states it (persistent and volatile state,
//!   RequestVote and AppendEntries with their receiver rules), with planted bugs for tests;
//! * `sim`: a deterministic network (per-message delay and loss, partitions, crashes that keep
//!   the disk, randomised election timeouts, heartbeats, client requests) and the checker of
//!   the paper's Figure 3 safety properties;
//! * `cluster`: the drawn simulation, driven by an editable script.

pub mod cluster;
pub mod node;
pub mod sim;

/// The chapter's examples, in reading order (the chapter is a line of [`crate::CHAPTERS`]).
pub const EXAMPLES: &[crate::registry::Example] = &[cluster::EXAMPLE];
