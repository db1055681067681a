//! A pipe's buffer, measured: fill a non-blocking pipe until the kernel answers `EAGAIN`, ask
//! `F_GETPIPE_SZ` for comparison, and watch what writes of at most `PIPE_BUF` bytes (never
//! split) and larger ones (split when the room runs out) do at the edge. Then the same with
//! blocking: a writer that sleeps inside `write` until a reader makes room.

use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::ipc::sys;
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "ipc::pipe_capacity",
    title: "How much a pipe holds, and what a write does when it is full",
    file: file!(),
    default_input: "",
    input_help: "no input",
    runs: Runs::NativeOnly {
        reason: "it creates real pipes in the kernel, which a browser does not have",
        simulation: Some("ipc::pipe"),
    },
    run: Run::Text(run),
};

/// `PIPE_BUF` on Linux (`limits.h`): writes of at most this many bytes are atomic.
pub const PIPE_BUF: usize = libc::PIPE_BUF;

fn io(what: &str) -> impl Fn(std::io::Error) -> String + '_ {
    move |e| format!("{what}: {e}")
}

// ANCHOR: example
/// Writes `size`-byte pieces into a non-blocking pipe until the kernel refuses one with EAGAIN
/// (`WouldBlock`); returns how many bytes it took.
pub fn fill(writer: &OwnedFd, size: usize) -> Result<usize, String> {
    let piece = vec![b'x'; size];
    let mut total = 0;
    loop {
        match sys::write_once(writer, &piece) {
            Ok(n) => total += n,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return Ok(total),
            Err(e) => return Err(format!("write: {e}")),
        }
    }
}

/// Reads (and throws away) exactly `n` bytes.
fn drain(reader: &OwnedFd, mut n: usize) -> Result<(), String> {
    let mut buffer = vec![0u8; 65536];
    while n > 0 {
        let len = n.min(buffer.len());
        let got = sys::read_once(reader, &mut buffer[..len]).map_err(io("read"))?;
        if got == 0 {
            return Err("the pipe ended early".into());
        }
        n -= got;
    }
    Ok(())
}

/// What one non-blocking `write` of `n` bytes did: "took N bytes" or "EAGAIN".
fn try_write(writer: &OwnedFd, n: usize) -> Result<String, String> {
    match sys::write_once(writer, &vec![b'y'; n]) {
        Ok(taken) => Ok(format!("took {taken} bytes")),
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Ok("EAGAIN, nothing written".into()),
        Err(e) => Err(format!("write: {e}")),
    }
}

pub fn measure() -> Result<String, String> {
    let mut out = String::new();
    let (reader, writer) = sys::pipe(true).map_err(io("pipe2"))?;
    let capacity = sys::pipe_capacity(&writer).map_err(io("F_GETPIPE_SZ"))?;
    out.push_str(&format!("F_GETPIPE_SZ says the new pipe holds {capacity} bytes\n"));
    for size in [4096, 1, 1000] {
        let held = fill(&writer, size)?;
        let mark = if held == capacity { "= F_GETPIPE_SZ" } else { "< F_GETPIPE_SZ" };
        out.push_str(&format!("filled with {size:>4}-byte writes until EAGAIN: {held:>6} bytes ({mark})\n"));
        drain(&reader, held)?;
    }

    out.push_str(&format!("\nat the edge (PIPE_BUF = {PIPE_BUF}): the pipe is full of 4096-byte writes\n"));
    let held = fill(&writer, 4096)?;
    out.push_str(&format!("  write 1 byte:               {}\n", try_write(&writer, 1)?));
    drain(&reader, 4096)?;
    out.push_str("  a reader takes 4096 bytes: one page of the buffer is free\n");
    out.push_str(&format!("  write 5000 (> PIPE_BUF):    {}: a partial write\n", try_write(&writer, 5000)?));
    drain(&reader, 4096)?;
    out.push_str("  a reader takes 4096 bytes again\n");
    out.push_str(&format!("  write 3000:                 {}\n", try_write(&writer, 3000)?));
    let refused = try_write(&writer, 2000)?;
    out.push_str(&format!(
        "  write 2000 (<= PIPE_BUF):   {refused}: never split, though 1096 bytes are free\n"
    ));
    out.push_str(&format!(
        "  write 1000:                 {}: fits in those 1096\n",
        try_write(&writer, 1000)?
    ));
    let waiting = sys::bytes_waiting(&reader).map_err(io("FIONREAD"))?;
    out.push_str(&format!(
        "  now {waiting} bytes wait to be read (FIONREAD): only a write of at most {} bytes would fit\n",
        held - waiting
    ));
    drop((reader, writer));

    out.push_str("\nF_SETPIPE_SZ (rounded up to a power-of-two number of pages):\n");
    for asked in [100_000, 1 << 20] {
        let (reader, writer) = sys::pipe(true).map_err(io("pipe2"))?;
        let got = sys::set_pipe_capacity(&writer, asked).map_err(io("F_SETPIPE_SZ"))?;
        let held = fill(&writer, 4096)?;
        out.push_str(&format!(
            "  asked for {asked:>7} bytes, got {got:>7}; filled until EAGAIN: {held:>7} bytes\n"
        ));
        drop(reader);
    }

    out.push_str("\nblocking: one write() of 100000 bytes into an empty pipe of 65536, nobody reading yet\n");
    let (reader, writer) = sys::pipe(false).map_err(io("pipe2"))?;
    let returned = AtomicBool::new(false);
    let written = std::thread::scope(|scope| -> Result<usize, String> {
        let writer_thread = scope.spawn(|| {
            let result = sys::write_once(&writer, &vec![b'z'; 100_000]);
            returned.store(true, Ordering::SeqCst);
            result
        });
        let full = sys::wait_until(Duration::from_secs(20), || Ok(sys::bytes_waiting(&reader)? == capacity))
            .map_err(io("FIONREAD"))?;
        let blocked = full && !returned.load(Ordering::SeqCst);
        out.push_str(&format!("  the pipe holds {capacity} bytes and write() has not returned: {blocked}\n"));
        drain(&reader, 100_000)?;
        writer_thread.join().map_err(|_| "the writer panicked".to_string())?.map_err(io("write"))
    })?;
    out.push_str(&format!(
        "  the reader drained it; write() returned {written}: a blocking write finishes whole\n"
    ));
    Ok(out)
}
// ANCHOR_END: example

fn run(input: &str) -> Result<String, InputError> {
    crate::input::no_input(input)?;
    measure().map_err(InputError::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_pipe_holds_64_kib_and_the_edge_behaves_as_pipe_7_says() {
        let out = measure().unwrap();
        assert!(out.starts_with("F_GETPIPE_SZ says the new pipe holds 65536 bytes\n"), "{out}");
        assert!(out.contains("4096-byte writes until EAGAIN:  65536 bytes (= F_GETPIPE_SZ)"), "{out}");
        assert!(out.contains("write 1 byte:               EAGAIN"), "{out}");
        assert!(out.contains("write 2000 (<= PIPE_BUF):   EAGAIN, nothing written"), "{out}");
        assert!(out.contains("write() has not returned: true"), "{out}");
        assert!(out.contains("write() returned 100000"), "{out}");
    }
}
