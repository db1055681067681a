//! Finding the crate's own helper programs (the `[[bin]]`s of `examples/Cargo.toml`), which
//! examples start as child processes.

use std::path::PathBuf;

/// The path of the crate's binary `name`, built next to the running executable. Tests run from
/// `target/<profile>/deps/`, the binaries live one level up in `target/<profile>/`.
pub fn sibling_program(name: &str) -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| format!("finding the running executable: {e}"))?;
    let mut dir = exe.parent().ok_or("the running executable has no directory")?.to_path_buf();
    if dir.file_name().is_some_and(|name| name == "deps") {
        dir.pop();
    }
    let program = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    if program.is_file() {
        Ok(program)
    } else {
        Err(format!(
            "the child program {} is missing: build it with `cargo build -p examples --bins` \
             (`cargo test -p examples` builds it too)",
            program.display()
        ))
    }
}
