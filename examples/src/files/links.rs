//! Names and inodes on a real file system: hard links are two names for one inode, a symbolic
//! link is a small file that holds a path (and dangles when that path goes away), and an open
//! descriptor keeps an inode alive after its last name is removed.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{MetadataExt, symlink};

use super::TempDir;
use crate::input::no_input;
use crate::registry::{Example, InputError, Run, Runs};
use crate::yes;

pub const EXAMPLE: Example = Example {
    id: "files::links",
    title: "Hard links share an inode; a symbolic link dangles; an open file outlives its name",
    file: file!(),
    default_input: "",
    input_help: "no input",
    runs: Runs::NativeOnly {
        reason: "it creates and links real files, which the browser playground cannot do",
        simulation: Some("files::crash"),
    },
    run: Run::Text(run),
};

fn run(input: &str) -> Result<String, InputError> {
    no_input(input)?;
    links().map_err(InputError::new)
}

// ANCHOR: example
pub fn links() -> Result<String, String> {
    let dir = TempDir::new("links")?;
    let (a, b, c, d) = (
        dir.path().join("a.txt"),
        dir.path().join("b.txt"),
        dir.path().join("c.txt"),
        dir.path().join("d.txt"),
    );
    let io = |e: std::io::Error| e.to_string();
    let mut out = String::new();

    fs::write(&a, "first line\n").map_err(io)?;
    out.push_str(&format!("a.txt created: link count {}\n", fs::metadata(&a).map_err(io)?.nlink()));

    // A hard link: a second directory entry for the same inode.
    fs::hard_link(&a, &b).map_err(io)?;
    let (ma, mb) = (fs::metadata(&a).map_err(io)?, fs::metadata(&b).map_err(io)?);
    out.push_str(&format!(
        "hard link b.txt -> a.txt: same device and inode number: {}; link count {} and {}\n",
        yes(ma.dev() == mb.dev() && ma.ino() == mb.ino()),
        ma.nlink(),
        mb.nlink()
    ));
    OpenOptions::new().append(true).open(&b).map_err(io)?.write_all(b"appended via b\n").map_err(io)?;
    out.push_str(&format!(
        "appended through b.txt, read through a.txt: {:?}\n",
        fs::read_to_string(&a).map_err(io)?
    ));
    fs::remove_file(&a).map_err(io)?; // unlink(2): removes a name, not the file
    out.push_str(&format!(
        "a.txt removed: b.txt still there: {}, link count {}, contents intact: {}\n",
        yes(b.exists()),
        fs::metadata(&b).map_err(io)?.nlink(),
        yes(fs::read_to_string(&b).map_err(io)? == "first line\nappended via b\n")
    ));

    // A symbolic link: a file of its own whose contents are a path.
    symlink("b.txt", &c).map_err(io)?;
    let (mc, lc) = (fs::metadata(&c).map_err(io)?, fs::symlink_metadata(&c).map_err(io)?);
    out.push_str(&format!(
        "symbolic link c.txt -> b.txt: follows to b's inode: {}; has an inode of its own: {}; its size is the path's length: {} bytes\n",
        yes(mc.ino() == fs::metadata(&b).map_err(io)?.ino()),
        yes(lc.ino() != mc.ino()),
        lc.len()
    ));
    out.push_str(&format!(
        "b.txt's link count is still {} (a symbolic link does not count)\n",
        fs::metadata(&b).map_err(io)?.nlink()
    ));
    fs::remove_file(&b).map_err(io)?;
    let read_c = fs::read_to_string(&c);
    out.push_str(&format!(
        "b.txt removed: c.txt still exists as a link: {}; following it: {}\n",
        yes(fs::symlink_metadata(&c).is_ok()),
        match read_c {
            Ok(text) => format!("reads {text:?} (not dangling!)"),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => "ENOENT: the link dangles".to_string(),
            Err(e) => format!("fails otherwise: {e}"),
        }
    ));

    // An open descriptor keeps the inode alive after its last name is gone.
    let mut file = File::options().read(true).write(true).create_new(true).open(&d).map_err(io)?;
    file.write_all(b"still here\n").map_err(io)?;
    fs::remove_file(&d).map_err(io)?;
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    let mut text = String::new();
    file.read_to_string(&mut text).map_err(io)?;
    out.push_str(&format!(
        "d.txt opened, then removed: name gone: {}; read through the open descriptor: {text:?}; link count {}\n",
        yes(!d.exists()),
        file.metadata().map_err(io)?.nlink()
    ));
    drop(file); // the last reference: now the kernel frees the inode and its blocks
    Ok(out)
}
// ANCHOR_END: example

#[cfg(test)]
mod tests {
    #[test]
    fn links_behave() {
        let out = super::links().unwrap();
        assert!(out.contains("same device and inode number: yes; link count 2 and 2"), "{out}");
        assert!(out.contains("link count 1, contents intact: yes"), "{out}");
        assert!(out.contains("ENOENT: the link dangles"), "{out}");
        assert!(out.contains("its size is the path's length: 5 bytes"), "{out}");
        assert!(out.contains("\"still here\\n\"; link count 0"), "{out}");
    }
}
