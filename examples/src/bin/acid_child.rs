//! The child process of the chapter "ACID and transactions": a writer that commits some rows,
//! leaves a big transaction open, and waits to be killed
//! (`acid-child <database> delete|wal <rows>`).

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    examples::acid::durability::child_main(&args)
}
