//! Chapter "Processes, threads and cores".

pub mod amdahl;
