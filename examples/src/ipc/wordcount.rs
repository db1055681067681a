//! The parallel word count again, deeper into the pipe: the text is cut into more chunks than
//! there are workers, and each chunk travels as a *frame* (a length, then the bytes), because a
//! pipe is a stream of bytes with no message boundaries. Each worker is a real child process
//! (`ipc-child count-frames`) that answers every chunk with a frame of counts. The counting
//! itself is the one of the chapter "Processes, threads and cores" (`processes::wordcount`).

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, ExitCode, Stdio};
use std::thread;

use crate::input::Params;
use crate::processes::wordcount::{Counts, count_words, generate_text, parse_counts, split_at_whitespace};
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "ipc::wordcount",
    title: "A parallel word count in child processes, framed messages over pipes",
    file: file!(),
    default_input: "words = 400000\nchunks = 24\nworkers = 1 2 4 8\nseed = 42\n",
    input_help: "`words = N` (up to 2,000,000), `chunks = N` (1 to 256), `workers = N N …` (each 1 to 16, \
                 at most 6 runs), `seed = N` for the generated text",
    runs: Runs::NativeOnly {
        reason: "it starts child processes and talks to them through pipes, which a browser does not have",
        simulation: Some("ipc::pipe"),
    },
    run: Run::Text(run),
};

/// The most chunks a text may be cut into, and the most words (the text is made in memory).
pub const MAX_CHUNKS: usize = 256;
pub const MAX_WORDS: usize = 2_000_000;

// ANCHOR: frames
/// Writes one frame: the payload's length in decimal on a line of its own, then the payload.
/// The reader needs the length because a pipe keeps no boundaries between writes: one `read`
/// may return half a write, or the end of one write and the start of the next.
pub fn write_frame(out: &mut impl Write, payload: &[u8]) -> std::io::Result<()> {
    writeln!(out, "{}", payload.len())?;
    out.write_all(payload)
}

/// Reads one frame; `None` at a clean end of the stream (the writer closed its end).
pub fn read_frame(input: &mut impl BufRead) -> Result<Option<Vec<u8>>, String> {
    let mut header = String::new();
    if input.read_line(&mut header).map_err(|e| format!("reading a frame header: {e}"))? == 0 {
        return Ok(None);
    }
    let length: usize =
        header.trim_end().parse().map_err(|_| format!("a frame header is not a length: {header:?}"))?;
    let mut payload = vec![0; length];
    input.read_exact(&mut payload).map_err(|e| format!("a frame of {length} bytes was cut short: {e}"))?;
    Ok(Some(payload))
}
// ANCHOR_END: frames

// ANCHOR: child
/// `ipc-child count-frames`: a chunk of text per frame on stdin, a frame of `word count` lines
/// back on stdout for each, until the parent closes the pipe.
pub fn child_main() -> ExitCode {
    let mut input = std::io::stdin().lock();
    let mut output = std::io::BufWriter::new(std::io::stdout().lock());
    loop {
        let chunk = match read_frame(&mut input) {
            Ok(Some(chunk)) => chunk,
            Ok(None) => break,
            Err(e) => {
                eprintln!("ipc-child: {e}");
                return ExitCode::FAILURE;
            }
        };
        let mut answer = String::new();
        for (word, n) in count_words(&String::from_utf8_lossy(&chunk)) {
            answer.push_str(&format!("{word} {n}\n"));
        }
        if write_frame(&mut output, answer.as_bytes()).and_then(|()| output.flush()).is_err() {
            return ExitCode::FAILURE; // the parent is gone
        }
    }
    ExitCode::SUCCESS
}
// ANCHOR_END: child

/// What one run with N workers did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub counts: Counts,
    /// Words each worker counted: the sum of the counts in its answer frames.
    pub words_per_worker: Vec<u64>,
    /// Bytes written into the workers' stdin pipes, and read from their stdout pipes.
    pub bytes_to: u64,
    pub bytes_from: u64,
    pub frames_from: usize,
    pub exit_codes: Vec<i32>,
}

// ANCHOR: example
/// Deals `chunks` round-robin to `workers` child processes and merges their answers.
pub fn count_in_children(chunks: &[&str], workers: usize) -> Result<Report, String> {
    let program = crate::ipc::child_program()?;
    let mut children: Vec<Child> = (0..workers)
        .map(|_| {
            Command::new(&program)
                .arg("count-frames")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .map_err(|e| format!("starting {}: {e}", program.display()))
        })
        .collect::<Result<_, _>>()?;
    let mine = |worker: usize| chunks.iter().skip(worker).step_by(workers).copied();
    let mut report = Report {
        counts: Counts::new(),
        words_per_worker: vec![0; workers],
        bytes_to: 0,
        bytes_from: 0,
        frames_from: 0,
        exit_codes: Vec::new(),
    };
    thread::scope(|scope| -> Result<(), String> {
        // One feeding thread per child. Writing all chunks first and reading the answers
        // afterwards, in one thread, could deadlock: a child blocked on a full stdout pipe stops
        // reading its stdin, and then the parent blocks too.
        let feeders: Vec<_> = children
            .iter_mut()
            .enumerate()
            .map(|(worker, child)| {
                let mut stdin = child.stdin.take().expect("stdin is piped");
                scope.spawn(move || -> Result<u64, String> {
                    let mut sent = 0;
                    for chunk in mine(worker) {
                        write_frame(&mut stdin, chunk.as_bytes())
                            .map_err(|e| format!("writing a chunk: {e}"))?;
                        sent += (chunk.len() + chunk.len().to_string().len() + 1) as u64;
                    }
                    Ok(sent) // dropping stdin closes the pipe: the child reads end of file
                })
            })
            .collect();
        for (worker, child) in children.iter_mut().enumerate() {
            let mut answers =
                CountingReader { inner: BufReader::new(child.stdout.take().expect("piped")), read: 0 };
            while let Some(frame) = read_frame(&mut answers)? {
                report.frames_from += 1;
                for (word, n) in parse_counts(&String::from_utf8_lossy(&frame))? {
                    *report.counts.entry(word).or_default() += n;
                    report.words_per_worker[worker] += n;
                }
            }
            report.bytes_from += answers.read;
        }
        for feeder in feeders {
            report.bytes_to += feeder.join().map_err(|_| "a feeding thread panicked")??;
        }
        Ok(())
    })?;
    for mut child in children {
        let status = child.wait().map_err(|e| format!("waiting for a child: {e}"))?;
        report.exit_codes.push(status.code().ok_or_else(|| format!("a worker died: {status}"))?);
    }
    Ok(report)
}
// ANCHOR_END: example

/// Words in the chunks that round-robin dealing gives each of `workers`: what each worker's
/// answers should add up to.
pub fn words_dealt(chunks: &[&str], workers: usize) -> Vec<u64> {
    (0..workers)
        .map(|w| chunks.iter().skip(w).step_by(workers).map(|c| c.split_whitespace().count() as u64).sum())
        .collect()
}

/// A reader that counts the bytes that pass through it.
struct CountingReader<R> {
    inner: R,
    read: u64,
}

impl<R: BufRead> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

impl<R: BufRead> BufRead for CountingReader<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, n: usize) {
        self.read += n as u64;
        self.inner.consume(n);
    }
}

fn run(input: &str) -> Result<String, InputError> {
    let params = Params::parse(input, &["words", "chunks", "workers", "seed"])?;
    let words = params.number_or("words", 1, MAX_WORDS, 400_000)?;
    let chunk_count = params.number_or("chunks", 1, MAX_CHUNKS, 24)?;
    let seed = params.number_or("seed", 0, u64::MAX, 42)?;
    let workers = match params.one("workers")? {
        None => vec![1, 2, 4, 8],
        Some(entry) => {
            let list = entry.numbers(1usize, 16)?;
            if list.len() > 6 {
                return Err(InputError::at_line(entry.line, "at most 6 runs (`workers = 1 2 4 8`)"));
            }
            list
        }
    };
    let text = generate_text(seed, words);
    let chunks = split_at_whitespace(&text, chunk_count);
    let sequential = count_words(&text);
    let total: u64 = sequential.values().sum();

    let mut out = format!(
        "text: {words} words, {} bytes, seed {seed}; cut at whitespace into {chunk_count} chunks\n",
        text.len()
    );
    out.push_str(&format!(
        "sequential count in this process: {total} words, {} different\n\n",
        sequential.len()
    ));
    out.push_str("workers  chunks each  busiest worker's words  speed-up bound  class            same counts as sequential\n");
    let mut reports = Vec::new();
    let mut split_mismatches = Vec::new();
    for &n in &workers {
        let report = count_in_children(&chunks, n).map_err(InputError::new)?;
        if report.words_per_worker != words_dealt(&chunks, n) {
            split_mismatches.push(format!(
                "{n} workers answered {:?}, dealt {:?}",
                report.words_per_worker,
                words_dealt(&chunks, n)
            ));
        }
        let busiest = report.words_per_worker.iter().copied().max().unwrap_or(0);
        let chunks_each = if chunk_count.is_multiple_of(n) {
            format!("{}", chunk_count / n)
        } else {
            format!("{}-{}", chunk_count / n, chunk_count.div_ceil(n))
        };
        let bound = if busiest == 0 { 1.0 } else { total as f64 / busiest as f64 };
        let class = if bound >= 0.9 * n as f64 { "near linear" } else { "limited by split" };
        out.push_str(&format!(
            "{n:>7}  {chunks_each:>11}  {busiest:>22}  {:>14}  {class:<16} {}\n",
            format!("{bound:.2}x"),
            if report.counts == sequential { "yes" } else { "NO" },
        ));
        reports.push(report);
    }
    let first = &reports[0];
    if reports.iter().all(|r| {
        (r.bytes_to, r.bytes_from, r.frames_from) == (first.bytes_to, first.bytes_from, first.frames_from)
    }) {
        out.push_str(&format!(
            "\nevery run: {} bytes into the pipes (text and frame headers), {} bytes of counts back in {} frames\n",
            first.bytes_to, first.bytes_from, first.frames_from
        ));
    } else {
        for (n, r) in workers.iter().zip(&reports) {
            out.push_str(&format!(
                "{n} workers: {} bytes into the pipes, {} bytes back in {} frames\n",
                r.bytes_to, r.bytes_from, r.frames_from
            ));
        }
    }
    out.push_str(&format!(
        "words in each worker's answer frames = words in the chunks it was dealt: {}\n",
        if split_mismatches.is_empty() {
            "yes, in every run".to_string()
        } else {
            split_mismatches.join("; ")
        }
    ));
    let all_zero = reports.iter().all(|r| r.exit_codes.iter().all(|&c| c == 0));
    out.push_str(&format!(
        "exit codes: {}\n",
        if all_zero {
            "every worker of every run exited 0".to_string()
        } else {
            workers
                .iter()
                .zip(&reports)
                .map(|(n, r)| format!("{n} workers {:?}", r.exit_codes))
                .collect::<Vec<_>>()
                .join(", ")
        }
    ));
    out.push_str(
        "\nbusiest worker's words: the most words one worker's answers counted; speed-up bound = all\n\
         words / that: the most this split allows, with a core per worker and free process starts\n\
         and copies; near linear = at least 0.9 x workers\n",
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_survive_a_stream_that_merges_and_splits_writes() {
        let mut stream = Vec::new();
        for payload in [&b"alpha beta"[..], b"", b"12\n34"] {
            write_frame(&mut stream, payload).unwrap();
        }
        // One byte per read: the worst a pipe can do to the reader.
        struct Trickle<'a>(&'a [u8]);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = self.0.len().min(buf.len()).min(1);
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut reader = BufReader::with_capacity(1, Trickle(&stream));
        assert_eq!(read_frame(&mut reader).unwrap().unwrap(), b"alpha beta");
        assert_eq!(read_frame(&mut reader).unwrap().unwrap(), b"");
        assert_eq!(read_frame(&mut reader).unwrap().unwrap(), b"12\n34");
        assert_eq!(read_frame(&mut reader).unwrap(), None);
        assert!(read_frame(&mut BufReader::new(&b"9\nshort"[..])).unwrap_err().contains("cut short"));
        assert!(read_frame(&mut BufReader::new(&b"x\n"[..])).unwrap_err().contains("not a length"));
    }

    #[test]
    fn every_worker_count_matches_the_sequential_count() {
        let text = generate_text(3, 20_000);
        let chunks = split_at_whitespace(&text, 7);
        let sequential = count_words(&text);
        for workers in [1, 3, 8] {
            let report = count_in_children(&chunks, workers).unwrap();
            assert_eq!(report.counts, sequential, "{workers} workers");
            assert_eq!(report.frames_from, 7, "one answer per chunk");
            assert_eq!(report.words_per_worker, words_dealt(&chunks, workers), "answers add up to the split");
            assert_eq!(report.exit_codes, vec![0; workers]);
            assert!(report.bytes_to > text.len() as u64);
        }
    }

    /// The page's claim: 24 chunks over 16 workers leave some with 2 chunks and some with 1, a
    /// bound of about 12x, "limited by split".
    #[test]
    fn sixteen_workers_are_limited_by_the_split() {
        let out = run("workers = 16").unwrap();
        let row = out.lines().find(|line| line.trim_start().starts_with("16 ")).unwrap();
        assert!(row.contains(" 1-2 ") && row.contains("limited by split") && row.ends_with(" yes"), "{out}");
        let bound: f64 = row.split_whitespace().nth(3).unwrap().trim_end_matches('x').parse().unwrap();
        assert!((11.5..12.5).contains(&bound), "{out}");
    }

    #[test]
    fn bad_input_names_its_line() {
        assert_eq!(
            run("workers = 1 2 3 4 5 6 7").unwrap_err().to_string(),
            "input line 1: at most 6 runs (`workers = 1 2 4 8`)"
        );
        assert!(run("chunks = 0").unwrap_err().to_string().starts_with("input line 1:"));
        assert!(run("words = 10\nworkers = 17").unwrap_err().to_string().starts_with("input line 2:"));
    }
}
