//! Chapter "CAP, PACELC and consistency models".
//!
//! Everything is computation on text or a seeded simulation, so every example runs in the
//! browser:
//!
//! * `history`: operations on a register and the text format a reader writes them in;
//! * `checker`: a Wing–Gong linearizability checker with Lowe's memoisation, and the same search
//!   for sequential consistency, bounded by a step budget, with a minimal (1-minimal) violating subset;
//! * `check`: the checker on a reader's history, drawn as a timeline;
//! * `classics`: the classic histories and their verdicts;
//! * `replicated`: a replicated register (leader, followers, elections) under partitions,
//!   crashes and delays, whose histories the checker judges; `predict` asks first;
//! * `tradeoffs`: every configuration over many seeds: consistency, availability, latency.

pub mod check;
pub mod checker;
pub mod classics;
pub mod history;
pub mod predict;
pub mod replicated;
pub mod tradeoffs;

/// The chapter's examples, in reading order (the chapter is a line of [`crate::CHAPTERS`]).
pub const EXAMPLES: &[crate::registry::Example] =
    &[classics::EXAMPLE, check::EXAMPLE, replicated::EXAMPLE, predict::EXAMPLE, tradeoffs::EXAMPLE];
