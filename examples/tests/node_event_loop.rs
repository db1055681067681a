//! The event-loop simulation (`examples::event_loop::sim`) against real Node: each program is
//! written out as the JavaScript the predict example shows, run with `node`, and the order Node
//! prints must be the order the simulation gives. Generated programs (many seeds) and
//! hand-written scenarios, each of which the simulation says Node orders the same way on every
//! run. A program the simulation calls a race is run too, and Node must print one of the
//! orders the race allows. And one measurement the chapter quotes: what an idle `net.Socket`
//! costs Node in memory.
//!
//! Without `node` on PATH: a failure in CI, else a loud note that nothing was checked.

use std::path::PathBuf;
use std::process::Command;

use examples::event_loop::sim::{Program, generate, order, parse, simulate, to_js};
use test_support::skip_or_fail;

/// How many generated programs are checked against Node.
const SEEDS: u64 = 60;

fn node_available() -> bool {
    match Command::new("node").arg("--version").output() {
        Ok(output) if output.status.success() => true,
        _ => {
            skip_or_fail(
                "the event-loop order check against real Node (examples/tests/node_event_loop.rs)",
                "`node` is not on PATH",
                "install Node.js 20 or newer (Debian: apt-get install nodejs)",
            );
            false
        }
    }
}

/// Runs `program` as JavaScript in real Node; the lines it printed.
fn node_order(program: &Program, name: &str) -> Vec<String> {
    let js = to_js(program).unwrap_or_else(|e| panic!("{name}: no JavaScript for it: {e}"));
    let path: PathBuf = std::env::temp_dir().join(format!("bf-event-loop-{}-{name}.cjs", std::process::id()));
    std::fs::write(&path, &js).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    let output = Command::new("node").arg(&path).output().expect("node runs");
    let _ = std::fs::remove_file(&path);
    assert!(
        output.status.success(),
        "{name}: node failed: {}\n{js}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8").lines().map(str::to_string).collect()
}

fn compare(program: &Program, name: &str) -> Option<String> {
    let trace = simulate(program);
    assert!(
        trace.races.is_empty() && !trace.depends_on_io_time,
        "{name}: the simulation says Node's order is not defined for it: {:?}",
        trace.races
    );
    let expected = order(program, &trace);
    let got = node_order(program, name);
    (got != expected).then(|| {
        format!(
            "{name}:\n  simulation: {}\n  node:       {}\n{}",
            expected.join(" "),
            got.join(" "),
            to_js(program).unwrap()
        )
    })
}

#[test]
fn generated_programs_print_in_the_order_the_simulation_predicts() {
    if !node_available() {
        return;
    }
    let failures: Vec<String> =
        (0..SEEDS).filter_map(|seed| compare(&generate(seed), &format!("seed-{seed}"))).collect();
    assert!(failures.is_empty(), "{} of {SEEDS} programs differ:\n{}", failures.len(), failures.join("\n"));
}

/// Scenarios the chapter teaches, each with an order Node defines.
const SCENARIOS: &[(&str, &str)] = &[
    (
        "ticks-then-promises",
        "main:\n promise p\n nexttick n\n timeout 0 t\nt:\np:\n nexttick n2\n promise p2\nn:\n promise p3\n nexttick n3\nn2:\np2:\np3:\nn3:\n",
    ),
    ("io-callback-immediate-first", "main:\n fs 1 read\nread:\n timeout 0 t\n immediate i\nt:\ni:\n"),
    (
        "timer-callback-immediate-first",
        "main:\n timeout 0 first\n cpu 3\nfirst:\n timeout 0 t\n immediate i\nt:\ni:\n",
    ),
    ("cpu-after-timeout-settles-the-race", "main:\n timeout 0 t\n immediate i\n cpu 3\nt:\ni:\n"),
    (
        "immediates-queued-by-immediates-wait",
        "main:\n immediate a\n immediate b\na:\n immediate c\n nexttick n\nb:\n promise p\nc:\nn:\np:\n",
    ),
    (
        "timers-between-them-ticks",
        "main:\n timeout 0 a\n timeout 0 b\n cpu 3\na:\n nexttick n\n promise p\nb:\nn:\np:\n",
    ),
    (
        "lists-by-duration",
        "main:\n timeout 1 t1\n timeout 5 t2\n cpu 8\n timeout 1 t3\n cpu 4\nt1:\nt2:\nt3:\n",
    ),
];

#[test]
fn the_chapters_scenarios_match_node() {
    if !node_available() {
        return;
    }
    let failures: Vec<String> = SCENARIOS
        .iter()
        .filter_map(|(name, script)| compare(&parse(script).unwrap_or_else(|e| panic!("{name}: {e}")), name))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_race_the_simulation_reports_is_one_node_can_go_either_way_on() {
    if !node_available() {
        return;
    }
    let program = parse("main:\n timeout 0 t\n immediate i\nt:\ni:\n").unwrap();
    let trace = simulate(&program);
    assert_eq!(trace.races.len(), 1, "{:?}", trace.races);
    let got = node_order(&program, "race");
    assert!(got == ["main", "t", "i"] || got == ["main", "i", "t"], "{got:?}");
}

/// What Node keeps per idle TCP socket: the script opens `n` client sockets to a listener of
/// this test process, leaves them idle, and reports the growth of V8's heap and of its resident
/// set per socket, after two garbage collections before and after.
const SOCKET_MEMORY_JS: &str = r#"'use strict';
const net = require('node:net');
const [port, n] = [Number(process.argv[2]), Number(process.argv[3])];
function settled() { global.gc(); global.gc(); return process.memoryUsage(); }
const before = settled();
const sockets = [];
let connected = 0;
for (let i = 0; i < n; i++) {
  const socket = net.connect(port, '127.0.0.1', () => {
    if (++connected < n) return;
    setTimeout(() => {
      const after = settled();
      console.log(`${(after.heapUsed - before.heapUsed) / n} ${(after.rss - before.rss) / n}`);
      for (const s of sockets) s.destroy();
    }, 100);
  });
  socket.on('error', (e) => { console.error(e.message); process.exit(1); });
  sockets.push(socket);
}
"#;

/// The chapter says an idle `net.Socket` costs Node about 1 KB of JavaScript heap and a few KB
/// of resident memory, far more than the tens of bytes of a Rust loop's connection state.
#[test]
fn an_idle_node_socket_costs_about_a_kilobyte_of_heap() {
    if !node_available() {
        return;
    }
    const SOCKETS: usize = 2000;
    raise_descriptor_limit(SOCKETS as u64 + 256);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("local_addr").port();
    // Accept and hold every connection until Node has measured and closed its side.
    let holder = std::thread::spawn(move || {
        let mut held = Vec::new();
        for _ in 0..SOCKETS {
            held.push(listener.accept().expect("accept").0);
        }
        held
    });
    let path = std::env::temp_dir().join(format!("bf-socket-memory-{}.cjs", std::process::id()));
    std::fs::write(&path, SOCKET_MEMORY_JS).expect("write the script");
    let output = Command::new("node")
        .arg("--expose-gc")
        .arg(&path)
        .arg(port.to_string())
        .arg(SOCKETS.to_string())
        .output()
        .expect("node runs");
    let _ = std::fs::remove_file(&path);
    drop(holder.join().expect("the accepting thread"));
    assert!(output.status.success(), "node failed: {}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8(output.stdout).expect("utf-8");
    let figures: Vec<f64> = stdout.split_whitespace().map(|f| f.parse().expect("a number")).collect();
    let [heap, rss] = figures[..] else { panic!("unexpected output {stdout:?}") };
    eprintln!("Node, per idle socket: {heap:.0} bytes of V8 heap, {rss:.0} bytes of RSS");
    assert!((400.0..4096.0).contains(&heap), "V8 heap per idle socket: {heap} bytes");
    assert!((1024.0..65536.0).contains(&rss), "resident memory per idle socket: {rss} bytes");
}

/// This process holds one descriptor per socket: raise the soft limit (often 1024) towards the
/// hard one if it is lower than `wanted`.
fn raise_descriptor_limit(wanted: u64) {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit and setrlimit read and write one valid `rlimit`.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < wanted {
            limit.rlim_cur = wanted.min(limit.rlim_max);
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}
