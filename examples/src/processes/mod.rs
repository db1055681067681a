//! Chapter "Processes, threads and cores".

pub mod amdahl;
pub mod crash;
pub mod race_refused;
pub mod scheduler;
pub mod threads_share;
pub mod wordcount;
