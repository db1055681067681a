//! A parallel word count: the same text counted by one thread, by N threads that share it, and
//! by N child processes that each get a piece of it through a pipe. All three must agree.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};
use std::thread;

use crate::input::Params;
use crate::registry::{Example, InputError, Run, Runs};
use crate::rng::Rng;

pub const EXAMPLE: Example = Example {
    id: "processes::wordcount",
    title: "A parallel word count: threads and child processes",
    file: file!(),
    default_input: "words = 200000\nworkers = 4\nseed = 42\n",
    input_help: "`words = N` (up to 2,000,000), `workers = N` (1 to 16), `seed = N` for the generated text",
    runs: Runs::NativeOnly {
        reason: "it starts threads and child processes, which the browser playground does not have",
        simulation: Some("scheduling::scheduler"),
    },
    run: Run::Text(run),
};

/// The generated text's words, most frequent first.
pub const VOCABULARY: [&str; 24] = [
    "the", "of", "and", "to", "a", "in", "process", "thread", "is", "core", "that", "kernel", "stack",
    "heap", "for", "fork", "pipe", "signal", "cache", "switch", "page", "lock", "queue", "exec",
];

pub type Counts = BTreeMap<String, u64>;

/// `words` words drawn with a Zipf-like skew (the word of rank r has weight 1/r), 12 to a line.
pub fn generate_text(seed: u64, words: usize) -> String {
    let weights: Vec<u64> = (1..=VOCABULARY.len() as u64).map(|rank| 1_000_000 / rank).collect();
    let total: u64 = weights.iter().sum();
    let mut rng = Rng::new(seed);
    let mut text = String::with_capacity(words * 6);
    for n in 0..words {
        let mut pick = rng.range(0, total - 1);
        let word = weights
            .iter()
            .position(|&w| {
                if pick < w {
                    return true;
                }
                pick -= w;
                false
            })
            .expect("pick < total");
        text.push_str(VOCABULARY[word]);
        text.push(if n % 12 == 11 { '\n' } else { ' ' });
    }
    text
}

// ANCHOR: example
pub fn count_words(text: &str) -> Counts {
    let mut counts = Counts::new();
    for word in text.split_whitespace() {
        *counts.entry(word.to_string()).or_default() += 1;
    }
    counts
}

/// Cuts `text` into `n` pieces of about equal size, each ending at whitespace, so that no word
/// is cut in two.
pub fn split_at_whitespace(text: &str, n: usize) -> Vec<&str> {
    let mut pieces = Vec::with_capacity(n);
    let mut start = 0;
    for k in 1..=n {
        let mut end = if k == n { text.len() } else { (text.len() * k / n).max(start) };
        while end < text.len() && !text.as_bytes()[end].is_ascii_whitespace() {
            end += 1;
        }
        pieces.push(&text[start..end]);
        start = end;
    }
    pieces
}

fn merge(total: &mut Counts, part: Counts) {
    for (word, n) in part {
        *total.entry(word).or_default() += n;
    }
}

/// N threads of this process: each reads its piece of the one shared text (no copy: scoped
/// threads may borrow it) and returns its own counts, which the main thread merges.
pub fn count_with_threads(text: &str, n: usize) -> Counts {
    let mut total = Counts::new();
    thread::scope(|scope| {
        let workers: Vec<_> = split_at_whitespace(text, n)
            .into_iter()
            .map(|piece| scope.spawn(move || count_words(piece)))
            .collect();
        for worker in workers {
            merge(&mut total, worker.join().expect("a counting thread panicked"));
        }
    });
    total
}

/// N child processes: each is a separate program with its own memory, so its piece has to be
/// copied to it (through a pipe on its stdin) and its counts copied back (as text on stdout).
pub fn count_with_processes(text: &str, n: usize) -> Result<(Counts, Vec<i32>), String> {
    let program = child_program()?;
    let mut children = Vec::new();
    for _ in 0..n {
        let child = Command::new(&program)
            .arg("count")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("starting {}: {e}", program.display()))?;
        children.push(child);
    }
    // All N are running. Feed each its piece; closing stdin (drop) tells it the input ended.
    for (child, piece) in children.iter_mut().zip(split_at_whitespace(text, n)) {
        let mut stdin = child.stdin.take().expect("stdin is piped");
        stdin.write_all(piece.as_bytes()).map_err(|e| format!("writing to a child: {e}"))?;
    }
    let (mut total, mut codes) = (Counts::new(), Vec::new());
    for child in children {
        let output = child.wait_with_output().map_err(|e| format!("waiting for a child: {e}"))?;
        let code = output.status.code().ok_or_else(|| format!("a child died: {}", output.status))?;
        codes.push(code);
        merge(&mut total, parse_counts(&String::from_utf8_lossy(&output.stdout))?);
    }
    Ok((total, codes))
}
// ANCHOR_END: example

// ANCHOR: child
/// The child's side (`processes-child count`): text on stdin, `word count` lines on stdout.
pub fn child_main() -> ExitCode {
    let mut text = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut text) {
        eprintln!("processes-child: reading stdin: {e}");
        return ExitCode::FAILURE;
    }
    let mut stdout = std::io::stdout().lock();
    for (word, n) in count_words(&text) {
        if writeln!(stdout, "{word} {n}").is_err() {
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
// ANCHOR_END: child

/// Reads what `child_main` writes.
pub fn parse_counts(text: &str) -> Result<Counts, String> {
    let mut counts = Counts::new();
    for line in text.lines() {
        let (word, n) = line.split_once(' ').ok_or_else(|| format!("a child wrote `{line}`"))?;
        let n: u64 = n.parse().map_err(|_| format!("a child wrote `{line}`"))?;
        *counts.entry(word.to_string()).or_default() += n;
    }
    Ok(counts)
}

/// The `processes-child` program, built by Cargo next to the running executable.
pub fn child_program() -> Result<PathBuf, String> {
    crate::programs::sibling_program("processes-child")
}

fn run(input: &str) -> Result<String, InputError> {
    let params = Params::parse(input, &["words", "workers", "seed"])?;
    let words = params.number_or("words", 1, 2_000_000, 200_000)?;
    let workers = params.number_or("workers", 1, 16, 4)?;
    let seed = params.number_or("seed", 0, u64::MAX, 42)?;
    let text = generate_text(seed, words);
    let sequential = count_words(&text);
    let threads = count_with_threads(&text, workers);
    let (processes, codes) = count_with_processes(&text, workers).map_err(InputError::new)?;

    let yes = |same: bool| if same { "yes" } else { "NO" };
    let sizes: Vec<String> = split_at_whitespace(&text, workers)
        .iter()
        .map(|p| p.split_whitespace().count().to_string())
        .collect();
    let mut out = format!(
        "text: {words} words, {} bytes, {} different words (seed {seed})\n",
        text.len(),
        sequential.len()
    );
    out.push_str(&format!("split at whitespace into {workers} pieces of {} words\n\n", sizes.join(", ")));
    out.push_str(&format!("{:<20} {} words counted\n", "1 thread:", sequential.values().sum::<u64>()));
    out.push_str(&format!(
        "{:<20} same counts as 1 thread: {}\n",
        format!("{workers} threads:"),
        yes(threads == sequential)
    ));
    out.push_str(&format!(
        "{:<20} same counts as 1 thread: {}; exit codes {codes:?}\n\n",
        format!("{workers} child processes:"),
        yes(processes == sequential)
    ));
    let mut by_count: Vec<(&String, &u64)> = sequential.iter().collect();
    by_count.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    out.push_str("most frequent:\n");
    for (word, n) in by_count.iter().take(5) {
        out.push_str(&format!("  {word:<8} {n:>7}\n"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_cover_the_text_and_never_cut_a_word() {
        let text = generate_text(1, 1000);
        for n in [1, 2, 3, 7, 16] {
            let pieces = split_at_whitespace(&text, n);
            assert_eq!(pieces.len(), n);
            assert_eq!(pieces.concat(), text);
            let words: usize = pieces.iter().map(|p| p.split_whitespace().count()).sum();
            assert_eq!(words, 1000, "{n} pieces");
        }
        // More pieces than words: the extra pieces are empty, nothing is lost.
        assert_eq!(split_at_whitespace("a b", 4).concat(), "a b");
    }

    #[test]
    fn the_text_is_reproducible_and_skewed() {
        assert_eq!(generate_text(9, 500), generate_text(9, 500));
        let counts = count_words(&generate_text(9, 20_000));
        assert!(counts["the"] > 4 * counts["exec"], "{counts:?}");
    }

    #[test]
    fn threads_and_processes_agree_with_one_thread() {
        let text = generate_text(5, 5000);
        let sequential = count_words(&text);
        assert_eq!(count_with_threads(&text, 3), sequential);
        let (processes, codes) = count_with_processes(&text, 3).unwrap();
        assert_eq!(processes, sequential);
        assert_eq!(codes, [0, 0, 0]);
    }

    #[test]
    fn bad_child_output_is_an_error() {
        assert!(parse_counts("the 3\nof x\n").unwrap_err().contains("`of x`"));
    }
}
