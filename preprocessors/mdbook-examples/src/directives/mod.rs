//! What replaces each construct a chapter may contain, one module per kind: the
//! `{{#example …}}`, `{{#source …}}`, `{{#quiz …}}`, `{{#quiz-review}}`,
//! `{{#runnable-examples}}` and `{{#cheat-sheet}}` directives, fenced code blocks (not a
//! directive, but replaced the same way: highlighted) and mermaid fences (drawn). The Anki file
//! of the quizzes is written next to them. `lib.rs`
//! finds the constructs and dispatches to these.

pub mod anki;
pub mod cheat_sheet;
pub mod example;
pub mod fence;
pub mod mermaid;
pub mod quiz;
pub mod review;
pub mod runnable_index;
pub mod source;
