//! Chapter "Batch processing: word count as MapReduce".
//!
//! * `job`: the word count's map and reduce functions, the FNV-1a partitioner, and the whole
//!   job in one process (what the distributed runs must equal);
//! * native only: `mapreduce`, the real thing on this machine: worker processes (the
//!   `batch-child` program), input splits and intermediate files on disk, a coordinator that
//!   hands out tasks, kills a worker mid-task with SIGKILL and re-runs its work, and output
//!   committed by atomic rename; checked against the in-process job and Part I's word count;
//! * `cluster`: a simulated cluster with a straggler and Zipf-skewed keys, the job run with and
//!   without a combiner and speculative execution (a timeline per way); property tests over
//!   hundreds of seeds; `cluster::PREDICT`, the puzzle.

pub mod cluster;
pub mod job;
#[cfg(not(target_family = "wasm"))]
pub mod mapreduce;

/// The chapter's examples, in reading order (the chapter is a line of [`crate::CHAPTERS`]).
pub const EXAMPLES: &[crate::registry::Example] = &[
    #[cfg(not(target_family = "wasm"))]
    mapreduce::EXAMPLE,
    cluster::EXAMPLE,
    cluster::PREDICT,
];
