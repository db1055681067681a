//! What each atomic ordering becomes on x86-64: the example compiles one small function per
//! ordering with `rustc -O --emit asm` and prints the instructions of each. On x86 the
//! hardware already gives loads acquire and stores release, so only a SeqCst store and a
//! SeqCst fence cost an instruction of their own.

use std::path::PathBuf;
use std::process::Command;

use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "processes::orderings_compiled",
    title: "What each Ordering compiles to on x86-64",
    file: file!(),
    default_input: "",
    input_help: "no input: the functions are in the source",
    runs: Runs::NativeOnly {
        reason: "it runs the Rust compiler, which the browser does not have",
        simulation: Some("processes::litmus"),
    },
    run: Run::Text(run),
};

// ANCHOR: example
/// One function per operation and ordering, compiled for x86-64 with optimisations.
pub const FUNCTIONS: &str = "\
use std::sync::atomic::{fence, AtomicU32, Ordering::*};

#[unsafe(no_mangle)] pub fn store_relaxed(a: &AtomicU32) { a.store(1, Relaxed) }
#[unsafe(no_mangle)] pub fn store_release(a: &AtomicU32) { a.store(1, Release) }
#[unsafe(no_mangle)] pub fn store_seqcst(a: &AtomicU32) { a.store(1, SeqCst) }
#[unsafe(no_mangle)] pub fn load_relaxed(a: &AtomicU32) -> u32 { a.load(Relaxed) }
#[unsafe(no_mangle)] pub fn load_acquire(a: &AtomicU32) -> u32 { a.load(Acquire) }
#[unsafe(no_mangle)] pub fn load_seqcst(a: &AtomicU32) -> u32 { a.load(SeqCst) }
#[unsafe(no_mangle)] pub fn fetch_add_relaxed(a: &AtomicU32) -> u32 { a.fetch_add(1, Relaxed) }
#[unsafe(no_mangle)] pub fn fetch_add_seqcst(a: &AtomicU32) -> u32 { a.fetch_add(1, SeqCst) }
#[unsafe(no_mangle)] pub fn fence_acquire() { fence(Acquire) }
#[unsafe(no_mangle)] pub fn fence_release() { fence(Release) }
#[unsafe(no_mangle)] pub fn fence_acqrel() { fence(AcqRel) }
#[unsafe(no_mangle)] pub fn fence_seqcst() { fence(SeqCst) }
";

/// Compiles `FUNCTIONS` to x86-64 assembly (Intel syntax) and returns each function's
/// instructions, without its `ret`.
pub fn compile() -> Result<Vec<(String, Vec<String>)>, String> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let dir = scratch_dir();
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let (source, assembly) = (dir.join("orderings.rs"), dir.join("orderings.s"));
    std::fs::write(&source, FUNCTIONS).map_err(|e| format!("writing {}: {e}", source.display()))?;
    let output = Command::new(&rustc)
        .args(["--edition", "2024", "--crate-type", "lib", "--crate-name", "orderings", "-O"])
        .args(["--target", "x86_64-unknown-linux-gnu", "--emit", "asm", "--color", "never"])
        .args(["-C", "llvm-args=-x86-asm-syntax=intel", "-o"])
        .arg(&assembly)
        .arg(&source)
        .output();
    let text = std::fs::read_to_string(&assembly);
    let _ = std::fs::remove_dir_all(&dir);
    let output = output.map_err(|e| format!("could not run `{}` ({e})", rustc.to_string_lossy()))?;
    if !output.status.success() {
        return Err(format!(
            "rustc could not compile for x86-64 (is its standard library installed?):\n{}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let text = text.map_err(|e| format!("reading the assembly: {e}"))?;
    Ok(functions(&text))
}

/// Each `name:` label that starts a function, with its instructions up to the end of it.
fn functions(assembly: &str) -> Vec<(String, Vec<String>)> {
    let mut found: Vec<(String, Vec<String>)> = Vec::new();
    let mut inside = false;
    for line in assembly.lines() {
        if let Some(name) = line.strip_suffix(':').filter(|name| !name.starts_with('.')) {
            found.push((name.to_string(), Vec::new()));
            inside = true;
        } else if line.trim_start().starts_with(".cfi_endproc") {
            inside = false;
        } else if inside && line.starts_with('\t') {
            let instruction = line.split_whitespace().collect::<Vec<_>>().join(" ");
            let skip = instruction.starts_with('.') || instruction.starts_with('#') || instruction == "ret";
            if !skip && let Some((_, instructions)) = found.last_mut() {
                instructions.push(instruction);
            }
        }
    }
    found
}
// ANCHOR_END: example

fn scratch_dir() -> PathBuf {
    // Tests run in parallel: one directory per process.
    std::env::temp_dir().join(format!("bf-orderings-{}", std::process::id()))
}

pub fn report() -> Result<String, String> {
    let compiled = compile()?;
    let mut out = String::from(
        "rustc -O --target x86_64-unknown-linux-gnu --emit asm, each function's instructions:\n\n",
    );
    for (name, instructions) in &compiled {
        let shown = if instructions.is_empty() {
            "(none: it only stops the compiler from moving memory accesses across it)".to_string()
        } else {
            instructions.join("; ")
        };
        out.push_str(&format!("{name:<18} {shown}\n"));
    }
    Ok(out)
}

fn run(input: &str) -> Result<String, InputError> {
    crate::input::no_input(input)?;
    report().map_err(InputError::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instructions(compiled: &[(String, Vec<String>)], name: &str) -> String {
        compiled
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, i)| i.join("; "))
            .unwrap_or_else(|| panic!("no {name}"))
    }

    #[test]
    fn only_seq_cst_stores_and_fences_cost_an_instruction_on_x86() {
        let compiled = compile().unwrap();
        assert_eq!(compiled.len(), 12, "{compiled:?}");
        for plain in ["store_relaxed", "store_release"] {
            assert_eq!(instructions(&compiled, plain), "mov dword ptr [rdi], 1");
        }
        assert!(instructions(&compiled, "store_seqcst").contains("xchg"));
        for load in ["load_relaxed", "load_acquire", "load_seqcst"] {
            assert_eq!(instructions(&compiled, load), "mov eax, dword ptr [rdi]");
        }
        for add in ["fetch_add_relaxed", "fetch_add_seqcst"] {
            assert!(instructions(&compiled, add).contains("lock xadd"), "{add}");
        }
        for free in ["fence_acquire", "fence_release", "fence_acqrel"] {
            assert_eq!(instructions(&compiled, free), "", "{free}");
        }
        let seq_cst_fence = instructions(&compiled, "fence_seqcst");
        assert!(seq_cst_fence.starts_with("lock") || seq_cst_fence == "mfence", "{seq_cst_fence}");
    }

    #[test]
    fn labels_and_directives_are_not_instructions() {
        let assembly =
            "f:\n\t.cfi_startproc\n\tmov eax, 1\n\t#MEMBARRIER\n\tret\n.Lfunc_end0:\n\t.cfi_endproc\n";
        assert_eq!(functions(assembly), vec![("f".to_string(), vec!["mov eax, 1".to_string()])]);
    }

    #[test]
    fn it_takes_no_input() {
        assert_eq!(run("x = 1").unwrap_err().line, Some(1));
    }
}
