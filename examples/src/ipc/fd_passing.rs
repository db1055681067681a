//! Passing an open file to another process over a Unix domain socket (`SCM_RIGHTS`,
//! `unix(7)`). The receiver gets a new descriptor for the same open file: same file, same
//! offset, even though the file no longer has a name it could open.

use std::io::{Read, Seek, SeekFrom, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::fs::MetadataExt;
use std::os::unix::net::UnixStream;
use std::process::{Command, ExitCode, Stdio};

use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "ipc::fd_passing",
    title: "Handing an open file to another process over a Unix socket (SCM_RIGHTS)",
    file: file!(),
    default_input: "",
    input_help: "no input",
    runs: Runs::NativeOnly {
        reason: "it starts a child process and passes it a file descriptor, which a browser cannot",
        simulation: Some("ipc::pipe"),
    },
    run: Run::Text(run),
};

// ANCHOR: scm_rights
/// Sends one byte of ordinary data and, beside it, descriptor `fd` as `SCM_RIGHTS` ancillary data.
pub fn send_fd(socket: &UnixStream, fd: RawFd) -> std::io::Result<()> {
    let mut byte = [b'F'];
    let mut iov = libc::iovec { iov_base: byte.as_mut_ptr().cast(), iov_len: 1 };
    // Room for one control message carrying one int, aligned as cmsghdr requires.
    let mut control = [0u64; 8];
    // SAFETY: msghdr points at `iov` and `control`, which outlive the sendmsg call; the CMSG
    // macros stay inside `control`, whose size covers CMSG_SPACE(sizeof(int)).
    unsafe {
        let space = libc::CMSG_SPACE(size_of::<RawFd>() as u32) as usize;
        let mut message: libc::msghdr = std::mem::zeroed();
        message.msg_iov = &mut iov;
        message.msg_iovlen = 1;
        message.msg_control = control.as_mut_ptr().cast();
        message.msg_controllen = space as _;
        let header = libc::CMSG_FIRSTHDR(&message);
        (*header).cmsg_level = libc::SOL_SOCKET;
        (*header).cmsg_type = libc::SCM_RIGHTS;
        (*header).cmsg_len = libc::CMSG_LEN(size_of::<RawFd>() as u32) as _;
        libc::CMSG_DATA(header).cast::<RawFd>().write_unaligned(fd);
        if libc::sendmsg(socket.as_raw_fd(), &message, 0) < 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Receives what `send_fd` sent: the kernel installs a new descriptor in this process.
pub fn receive_fd(socket: &UnixStream) -> std::io::Result<OwnedFd> {
    let mut byte = [0u8; 1];
    let mut iov = libc::iovec { iov_base: byte.as_mut_ptr().cast(), iov_len: 1 };
    let mut control = [0u64; 8];
    // SAFETY: as in send_fd; the kernel writes at most msg_controllen bytes into `control`,
    // and we read a descriptor only from a header it filled in as SCM_RIGHTS.
    unsafe {
        let mut message: libc::msghdr = std::mem::zeroed();
        message.msg_iov = &mut iov;
        message.msg_iovlen = 1;
        message.msg_control = control.as_mut_ptr().cast();
        message.msg_controllen = size_of_val(&control) as _;
        // MSG_CMSG_CLOEXEC: the received descriptor is close-on-exec, like every other here.
        if libc::recvmsg(socket.as_raw_fd(), &mut message, libc::MSG_CMSG_CLOEXEC) < 0 {
            return Err(std::io::Error::last_os_error());
        }
        let header = libc::CMSG_FIRSTHDR(&message);
        if header.is_null()
            || (*header).cmsg_level != libc::SOL_SOCKET
            || (*header).cmsg_type != libc::SCM_RIGHTS
        {
            return Err(std::io::Error::other("no descriptor came with the message"));
        }
        Ok(OwnedFd::from_raw_fd(libc::CMSG_DATA(header).cast::<RawFd>().read_unaligned()))
    }
}

// ANCHOR_END: scm_rights

// ANCHOR: example
pub fn pass_a_file() -> Result<String, String> {
    let mut out = String::new();
    let path = std::env::temp_dir().join(format!("bf-ipc-fd-passing-{}", std::process::id()));
    let mut file = std::fs::OpenOptions::new()
        .create_new(true)
        .read(true)
        .write(true)
        .open(&path)
        .map_err(|e| format!("creating {}: {e}", path.display()))?;
    std::fs::remove_file(&path).map_err(|e| format!("removing {}: {e}", path.display()))?;
    out.push_str("parent: created a file, deleted its name: nobody can open it any more\n");
    file.write_all(b"line 1, by the parent\n").map_err(|e| e.to_string())?;

    let (parent_end, child_end) = UnixStream::pair().map_err(|e| format!("socketpair: {e}"))?;
    let child = Command::new(crate::ipc::child_program()?)
        .arg("receive-fd")
        .stdin(Stdio::from(OwnedFd::from(child_end))) // its stdin is its end of the socket
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("starting the child: {e}"))?;
    send_fd(&parent_end, file.as_raw_fd()).map_err(|e| format!("sendmsg: {e}"))?;
    let output = child.wait_with_output().map_err(|e| format!("waiting: {e}"))?;
    let said = String::from_utf8_lossy(&output.stdout);
    // Inode numbers differ from run to run: compare them rather than print them.
    let inode = format!("inode {}", file.metadata().map_err(|e| e.to_string())?.ino());
    for line in said.lines() {
        out.push_str(&format!("child:  {}\n", line.replace(&inode, "inode <same as the parent's file>")));
    }
    let offset = file.stream_position().map_err(|e| e.to_string())?;
    out.push_str(&format!("parent: my offset moved with the child's write, to {offset}\n"));
    let mut contents = String::new();
    file.seek(SeekFrom::Start(0))
        .and_then(|_| file.read_to_string(&mut contents))
        .map_err(|e| e.to_string())?;
    out.push_str("parent: the file now holds\n");
    for line in contents.lines() {
        out.push_str(&format!("          {line}\n"));
    }
    out.push_str(&format!("parent: the child {}\n", crate::ipc::sys::ended(output.status)?.describe()));
    Ok(out)
}
// ANCHOR_END: example

// ANCHOR: child
/// `ipc-child receive-fd`: stdin is a Unix socket; receive a descriptor on it and write through it.
pub fn child_receive_fd() -> ExitCode {
    // SAFETY: the parent made fd 0 a Unix stream socket; this takes it over for the process's life.
    let socket = UnixStream::from(unsafe { OwnedFd::from_raw_fd(0) });
    let fd = match receive_fd(&socket) {
        Ok(fd) => fd,
        Err(e) => {
            eprintln!("ipc-child: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut file = std::fs::File::from(fd);
    let inode = file.metadata().map(|m| m.ino()).unwrap_or(0);
    let offset = file.stream_position().unwrap_or(u64::MAX);
    println!("received a descriptor for inode {inode}, at offset {offset} (where the parent left it)");
    match file.write_all(b"line 2, by the child, through the passed descriptor\n") {
        Ok(()) => println!("wrote line 2 at that shared offset"),
        Err(e) => println!("writing failed: {e}"),
    }
    ExitCode::SUCCESS
}
// ANCHOR_END: child

fn run(input: &str) -> Result<String, InputError> {
    crate::input::no_input(input)?;
    pass_a_file().map_err(InputError::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_child_writes_into_the_parents_unnamed_file() {
        let out = pass_a_file().unwrap();
        assert!(out.contains("at offset 22 (where the parent left it)"), "{out}");
        assert!(out.contains("inode <same as the parent's file>"), "{out}");
        assert!(out.contains("my offset moved with the child's write, to 74"), "{out}");
        assert!(out.contains("          line 2, by the child, through the passed descriptor\n"), "{out}");
        assert!(out.ends_with("the child exited with status 0\n"), "{out}");
    }
}
