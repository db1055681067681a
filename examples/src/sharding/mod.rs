//! Chapter "Sharding, partitioning and replicas".
//!
//! Everything here is pure computation on a seeded or scripted input, so every example also
//! runs in the browser:
//!
//! * `hash`: the stable hash every other module uses (FNV-1a 64 plus a finaliser);
//! * `moved_keys`, `vnode_spread`: hash-mod-N against a consistent-hash ring, measured;
//! * `partitioning`: range against hash partitioning, sequential keys and a hot key;
//! * `ring`: an interactive hash ring with virtual nodes and a replication factor;
//! * `replication`: a leader with asynchronous or synchronous followers, stale reads, failover;
//! * `quorum`: an N/R/W quorum store with crashes, partitions, sloppy quorums and clock skew;
//! * `elastic`: an Elasticsearch-style cluster whose health turns yellow and red as nodes die.

pub mod elastic;
pub mod hash;
pub mod moved_keys;
pub mod partitioning;
pub mod quorum;
pub mod replication;
pub mod ring;
pub mod vnode_spread;

/// The chapter's examples, in reading order (the chapter is a line of [`crate::CHAPTERS`]).
pub const EXAMPLES: &[crate::registry::Example] = &[
    hash::EXAMPLE,
    moved_keys::EXAMPLE,
    vnode_spread::EXAMPLE,
    partitioning::EXAMPLE,
    ring::EXAMPLE,
    replication::EXAMPLE,
    quorum::EXAMPLE,
    elastic::EXAMPLE,
];

use crate::input::Entry;
use crate::registry::InputError;

/// `part` as a percentage of `whole` with one decimal, `"-"` when `whole` is zero.
pub(crate) fn percent(part: f64, whole: f64) -> String {
    if whole == 0.0 { "-".to_string() } else { format!("{:.1}%", 100.0 * part / whole) }
}

/// The names on one input line: each 1 to 12 letters, digits, `-` or `_`, no repeats, at most
/// `max` of them.
pub(crate) fn names(entry: &Entry<'_>, max: usize, what: &str) -> Result<Vec<String>, InputError> {
    let mut out: Vec<String> = Vec::new();
    for word in entry.value.split_whitespace() {
        let valid =
            word.len() <= 12 && word.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid {
            return Err(InputError::at_line(
                entry.line,
                format!("{what} name `{word}`: use 1 to 12 letters, digits, `-` or `_`"),
            ));
        }
        if out.iter().any(|name| name == word) {
            return Err(InputError::at_line(entry.line, format!("{what} `{word}` is listed twice")));
        }
        if out.len() == max {
            return Err(InputError::at_line(entry.line, format!("at most {max} {what}s")));
        }
        out.push(word.to_string());
    }
    if out.is_empty() {
        return Err(InputError::at_line(
            entry.line,
            format!("`{}` needs at least one {what} name", entry.key),
        ));
    }
    Ok(out)
}
