//! The worker process of the chapter "Batch processing: word count as MapReduce": the
//! coordinator (`examples::batch::mapreduce::run_job`) starts several, sends each task as a
//! line on its stdin, reads its progress reports and answers on its stdout (after each report
//! the worker waits for `go`); in the chapter's second run a failure-injector thread kills one
//! of them mid-task, and the coordinator finds out from the end of file and the wait status.
//!
//! * `worker DIR`: runs map and reduce tasks until its stdin ends; `DIR` is its local disk.

use std::path::Path;
use std::process::ExitCode;

use examples::batch::mapreduce;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args[..] {
        ["worker", dir] => mapreduce::worker_main(Path::new(dir)),
        _ => {
            eprintln!("usage: batch-child worker DIR");
            ExitCode::from(2)
        }
    }
}
