//! The chapter "Child processes and IPC" says what Node's `child_process` does; these tests run
//! small Node programs to check it on the machine (DESIGN.md: Node claims are checked where
//! Node runs). Each program prints one JSON line, which the test reads.
//!
//! * a Node child with no `SIGTERM` listener, sent `SIGTERM`: the parent's `'exit'` event gets
//!   `(code, signal) = (null, 'SIGTERM')`, not 143;
//! * a child whose stdout nobody consumes blocks once the channel's buffer is full, far short of
//!   what it wants to write, and finishes once the parent reads; the channel is a Unix socket pair
//!   (libuv's choice for `'pipe'` stdio);
//! * `exec` with more than `maxBuffer` (1 MiB by default) of output fails with
//!   `ERR_CHILD_PROCESS_STDIO_MAXBUFFER` and ends the child.
//!
//! * `child.kill()` on an `exec` command signals only `/bin/sh`, and the shell's own child
//!   keeps running; a `detached` child leads its own process group, and `process.kill(-pid)`
//!   signals the whole group.
//!
//! Without `node` on PATH: a failure in CI, else a loud note that nothing was checked.

use std::process::Command;

use test_support::skip_or_fail;

fn node_available() -> bool {
    match Command::new("node").arg("--version").output() {
        Ok(output) if output.status.success() => true,
        _ => {
            skip_or_fail(
                "the child_process checks against real Node (examples/tests/node_child_process.rs)",
                "`node` is not on PATH",
                "install Node.js 20 or newer (Debian: apt-get install nodejs)",
            );
            false
        }
    }
}

/// Runs `script` with `node -e`; the JSON line it printed last, as text.
fn run_node(name: &str, script: &str) -> String {
    let output = Command::new("node").args(["-e", script]).output().expect("node runs");
    assert!(output.status.success(), "{name}: node failed: {}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8(output.stdout).expect("utf-8");
    stdout.lines().last().unwrap_or_default().to_string()
}

#[test]
fn a_node_child_killed_by_sigterm_reports_a_null_code_and_the_signal() {
    if !node_available() {
        return;
    }
    // The child says it is running (so its start-up is over), then waits; the parent kills it.
    let script = r#"
const { spawn } = require('child_process');
const child = spawn(process.execPath, ['-e', 'console.log("up"); setInterval(() => {}, 1000)']);
child.stdout.once('data', () => child.kill('SIGTERM'));
child.on('exit', (code, signal) => console.log(JSON.stringify({ code, signal })));
"#;
    assert_eq!(run_node("sigterm", script), r#"{"code":null,"signal":"SIGTERM"}"#);
}

#[test]
fn a_child_whose_stdout_nobody_reads_blocks_until_the_parent_reads() {
    if !node_available() {
        return;
    }
    // The child writes 4 MiB to stdout with blocking writes, 4 KiB at a time, and after each
    // write reports its total on stderr, which the parent reads. The parent does not read
    // stdout until the total has stopped growing for 500 ms (at most 20 s), then reads it all.
    let script = r#"
const { spawn } = require('child_process');
const fs = require('fs');
const TOTAL = 4 * 1024 * 1024;
const child = spawn(process.execPath, ['-e', `
  const fs = require('fs');
  const block = Buffer.alloc(4096, 97);
  let written = 0;
  while (written < ${TOTAL}) { written += fs.writeSync(1, block); fs.writeSync(2, written + '\\n'); }
`], { stdio: ['ignore', 'pipe', 'pipe'] });
child.stdout.pause();
let written = 0, pending = '';
child.stderr.on('data', (data) => {
  pending += data;
  const lines = pending.split('\n');
  pending = lines.pop();
  if (lines.length) written = Number(lines[lines.length - 1]);
});
let exited = null;
child.on('exit', (code, signal) => { exited = { code, signal }; });
const started = Date.now();
let last = -1, since = Date.now();
const timer = setInterval(() => {
  if (written !== last) { last = written; since = Date.now(); return; }
  if (exited || Date.now() - since < 500 || (written === 0 && Date.now() - started < 20000)) return;
  clearInterval(timer);
  const stuck = written;
  const exitedEarly = exited !== null;
  const channel = fs.readlinkSync(`/proc/${child.pid}/fd/1`).split(':')[0];
  let received = 0;
  child.stdout.on('data', (data) => { received += data.length; });
  child.stdout.resume();
  child.on('close', (code, signal) => {
    console.log(JSON.stringify({ stuck, exitedEarly, channel, received, code, signal }));
  });
}, 50);
"#;
    let out = run_node("unread stdout", script);
    let value = |key: &str| -> String {
        let start =
            out.find(&format!("\"{key}\":")).unwrap_or_else(|| panic!("no {key} in {out}")) + key.len() + 3;
        out[start..].split([',', '}']).next().unwrap().trim_matches('"').to_string()
    };
    let stuck: u64 = value("stuck").parse().unwrap();
    assert!((65_536..1_048_576).contains(&stuck), "blocked after {stuck} bytes: {out}");
    assert_eq!(value("exitedEarly"), "false", "{out}");
    assert_eq!(value("channel"), "socket", "libuv gives a child a socket pair for 'pipe': {out}");
    assert_eq!(value("received"), (4 * 1024 * 1024).to_string(), "{out}");
    assert_eq!((value("code"), value("signal")), ("0".to_string(), "null".to_string()), "{out}");
}

#[test]
fn exec_kills_a_child_whose_output_exceeds_max_buffer() {
    if !node_available() {
        return;
    }
    let script = r#"
const { exec } = require('child_process');
// `cat /dev/zero` never ends by itself: only exec's kill can end it (or the 10 s timer).
const timer = setTimeout(() => { console.log('still running after 10 s'); process.exit(0); }, 10000);
// Exec's callback and the child's 'exit' event may come in either order: print after both.
const result = {};
const report = (key, value) => {
  result[key] = value;
  if ('code' in result && 'signal' in result) {
    result.ended = result.signal;
    clearTimeout(timer);
    console.log(JSON.stringify({ code: result.code, ended: result.ended, kept: result.kept }));
  }
};
const child = exec('cat /dev/zero', (error, stdout) => {
  result.kept = stdout.length;
  report('code', error && error.code);
});
// How it ends is a race: Node closes its end of stdout (SIGPIPE for `cat`) and sends SIGTERM
// to `/bin/sh`; only that it ends is checked.
child.on('exit', (code, signal) => report('signal', code !== null || signal !== null));
"#;
    assert_eq!(
        run_node("maxBuffer", script),
        r#"{"code":"ERR_CHILD_PROCESS_STDIO_MAXBUFFER","ended":true,"kept":1048576}"#
    );
}

#[test]
fn kill_on_an_exec_command_stops_the_shell_and_a_group_kill_stops_the_tree() {
    if !node_available() {
        return;
    }
    // Each shell starts `sleep 30` in the background, prints its PID and waits for it. `exec`'s
    // child is the shell: `child.kill()` ends it and leaves `sleep` running, adopted by init.
    // With `detached: true` the shell leads a new process group, and `process.kill(-pid)`
    // signals the whole group, `sleep` included.
    let script = r#"
const { exec, spawn } = require('child_process');
// Running, not a zombie that its adopter has not reaped yet: the state in /proc/<pid>/stat.
const alive = (pid) => {
  try { return !/\) Z /.test(require('fs').readFileSync(`/proc/${pid}/stat`, 'utf8')); } catch { return false; }
};
const command = 'sleep 30 & echo $!; wait';
function run(child, stop) {
  return new Promise((resolve) => {
    child.stdout.once('data', (data) => {
      const sleepPid = Number(String(data).trim());
      child.on('exit', (code, signal) => setTimeout(() => {
        const sleepAlive = alive(sleepPid);
        if (sleepAlive) process.kill(sleepPid, 'SIGKILL');
        resolve({ signal, sleepAlive });
      }, 200));
      stop(child);
    });
  });
}
(async () => {
  const shellOnly = await run(exec(command), (child) => child.kill());
  const group = await run(spawn('/bin/sh', ['-c', command], { detached: true }),
    (child) => process.kill(-child.pid, 'SIGTERM'));
  console.log(JSON.stringify({ shellOnly, group }));
})();
"#;
    assert_eq!(
        run_node("process tree", script),
        r#"{"shellOnly":{"signal":"SIGTERM","sleepAlive":true},"group":{"signal":"SIGTERM","sleepAlive":false}}"#
    );
}
