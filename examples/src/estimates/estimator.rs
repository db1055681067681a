//! `estimates::estimator`, `estimates::url_shortener`, `estimates::chat`: the units-aware
//! estimator on a generic service and on two interview designs; `estimates::ladder`: the
//! latency ladder as a log-scale chart of whatever times the reader writes.

use super::units::{Q, evaluate, render, sig3};
use crate::registry::{Example, InputError, Run, Runs};

const HELP: &str = "`name = expression [in UNIT]` per line; units: B KB MB GB TB PB KiB…PiB bit Kbit Mbit Gbit, \
ns us ms s min h day week month year, req user; multipliers K M bn %; functions ceil max min";

pub const EXAMPLE: Example = Example {
    id: "estimates::estimator",
    title: "A units-aware estimator: assumptions in, QPS, storage, bandwidth and Little's law out",
    file: file!(),
    default_input: ESTIMATOR,
    input_help: HELP,
    runs: Runs::Everywhere,
    run: Run::Text(run),
};

pub const URL_SHORTENER: Example = Example {
    id: "estimates::url_shortener",
    title: "Worked design: a URL shortener's numbers",
    file: file!(),
    default_input: URL_SHORTENER_INPUT,
    input_help: HELP,
    runs: Runs::Everywhere,
    run: Run::Text(run),
};

pub const CHAT: Example = Example {
    id: "estimates::chat",
    title: "Worked design: a chat system's numbers",
    file: file!(),
    default_input: CHAT_INPUT,
    input_help: HELP,
    runs: Runs::Everywhere,
    run: Run::Text(run),
};

pub const LADDER: Example = Example {
    id: "estimates::ladder",
    title: "The latency ladder on a log scale (edit the rungs)",
    file: file!(),
    default_input: LADDER_INPUT,
    input_help: "`name = time` per line (ns us ms s); each rung is drawn on a log scale with its ratio to the one below",
    runs: Runs::Everywhere,
    run: Run::Text(ladder),
};

const ESTIMATOR: &str = "\
# Assumptions (counts carry req and user, so a forgotten factor is a unit error)
users           = 100 M user
writes_per_user = 2 req/user/day
reads_per_write = 10
object          = 500 B/req
replication     = 3
peak_factor     = 3
# Derived
write_qps     = users * writes_per_user
read_qps      = write_qps * reads_per_write
peak_read_qps = read_qps * peak_factor
storage_year  = write_qps * 1 year * object * replication
ingress       = write_qps * object
egress        = peak_read_qps * object
# Little's law: in flight = arrival rate x time in the system
latency       = 20 ms
in_flight     = peak_read_qps * latency
db_time       = 4 ms
db_pool       = write_qps * peak_factor * db_time
";

const URL_SHORTENER_INPUT: &str = "\
# URL shortener: 100 M new short URLs a day (one write request each), 100 reads per write, kept 5 years
new_urls      = 100 M req/day
read_ratio    = 100
record        = 500 B/req      # short key, long URL, owner, timestamps
keep          = 5 year
peak_factor   = 3
read_qps      = new_urls * read_ratio
peak_read_qps = read_qps * peak_factor
urls_kept     = new_urls * keep
key_space     = 62^7 req       # [a-zA-Z0-9], 7 characters
storage       = urls_kept * record
replicated    = storage * 3
read_egress   = peak_read_qps * record
# The cache holds distinct hot URLs, not requests: assume a day's reads touch the URLs
# created in the last 5 days, and the hottest 20 % of those take most of the reads.
read_in_a_day = new_urls * 5 day
cache         = 20 % * read_in_a_day * record
servers       = ceil(peak_read_qps / (20 K req/s))   # 20 K reads/s per server
in_flight     = peak_read_qps * 5 ms                 # Little's law at 5 ms per read
";

const CHAT_INPUT: &str = "\
# Chat: 50 M daily users, 40 messages each a day, 3 recipients per message on average
dau            = 50 M user
messages       = 40 req/user/day
message        = 200 B/req    # text, ids, timestamps
recipients     = 3
peak_factor    = 3
msg_qps        = dau * messages
peak_msg_qps   = msg_qps * peak_factor
deliveries     = peak_msg_qps * recipients
storage_year   = msg_qps * 1 year * message
replicated     = storage_year * 3 in PB
inbox_copies   = replicated * recipients in PB   # if each recipient's inbox keeps its own copy
egress         = deliveries * message
online         = dau * 20 %   # connected at the peak
per_gateway    = 100 K user   # open WebSockets per gateway server
gateways       = ceil(online / per_gateway)
heartbeat      = 2 req/user/min   # one every 30 s
heartbeats     = online * heartbeat
in_flight      = deliveries * 50 ms   # Little's law: 50 ms from send to delivery
";

const LADDER_INPUT: &str = "\
# Typical figures for current server hardware; sources on the page.
l1_hit            = 1 ns
l2_hit            = 4 ns
l3_hit            = 15 ns
memory            = 100 ns
mutex_uncontended = 20 ns
syscall           = 200 ns
read_4k_page_cache = 1 us
ssd_random_read   = 100 us
datacentre_rtt    = 500 us
disk_seek         = 10 ms
region_rtt        = 70 ms     # US east <-> Europe west
";

// ANCHOR: run
fn run(input: &str) -> Result<String, InputError> {
    Ok(render(&evaluate(input)?))
}
// ANCHOR_END: run

// ANCHOR: ladder
fn ladder(input: &str) -> Result<String, InputError> {
    let lines = evaluate(input)?;
    let mut rungs: Vec<(&str, f64)> = Vec::new();
    for l in &lines {
        if l.q.dim != super::units::Dim([0, 1, 0, 0]) || l.q.value <= 0.0 {
            return Err(InputError::at_line(
                l.line,
                format!("`{}` is {}; each rung must be a positive time", l.name, l.q.dim.describe()),
            ));
        }
        rungs.push((&l.name, l.q.value));
    }
    rungs.sort_by(|a, b| a.1.total_cmp(&b.1));
    let width = rungs.iter().map(|r| r.0.len()).max().unwrap_or(0);
    let mut out = String::from("one # per factor of about 1.78 (four per factor of 10), from 0.1 ns\n\n");
    let mut previous: Option<f64> = None;
    for (name, secs) in &rungs {
        // Quarter-decades above 0.1 ns, counted without a logarithm so native and wasm agree.
        let mut steps = 0;
        let mut level = 1e-10;
        while level * 1.778_279_41 <= *secs * 1.000_001 && steps < 60 {
            level *= 1.778_279_41;
            steps += 1;
        }
        let ratio = previous.map(|p| format!("  x{}", sig3(secs / p))).unwrap_or_default();
        out.push_str(&format!(
            "{name:width$}  {:>8}  {}{ratio}\n",
            super::units::show(Q { value: *secs, dim: super::units::Dim([0, 1, 0, 0]) }),
            "#".repeat(steps.max(1))
        ));
        previous = Some(*secs);
    }
    // ANCHOR_END: ladder
    let (first, last) = (rungs[0], rungs[rungs.len() - 1]);
    out.push_str(&format!(
        "\n{} is {} times {}; if {} took 1 second, {} would take {}.\n",
        last.0,
        super::units::show(Q::plain(last.1 / first.1)),
        first.0,
        first.0,
        last.0,
        super::units::show(Q { value: last.1 / first.1, dim: super::units::Dim([0, 1, 0, 0]) })
    ));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(input: &str, name: &str) -> f64 {
        evaluate(input).unwrap().into_iter().find(|l| l.name == name).unwrap().q.value
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * b.abs().max(1e-30)
    }

    // ANCHOR: url_test
    #[test]
    fn url_shortener_matches_hand_computed_numbers() {
        let i = URL_SHORTENER_INPUT;
        // 100e6 / 86,400 s = 1,157.407 writes/s
        assert!(close(value(i, "new_urls"), 1e8 / 86_400.0));
        // x100 = 115,740.7 reads/s; x3 = 347,222.2 at the peak
        assert!(close(value(i, "read_qps"), 1e10 / 86_400.0));
        assert!(close(value(i, "peak_read_qps"), 3e10 / 86_400.0));
        // 100e6/day x 5 x 365 days = 182.5e9 URLs; 62^7 = 3,521,614,606,208 keys, 19x more
        assert!(close(value(i, "urls_kept"), 182.5e9));
        assert!(close(value(i, "key_space"), 3_521_614_606_208.0));
        // 182.5e9 x 500 B = 91.25e12 B = 91.25 TB; x3 = 273.75 TB
        assert!(close(value(i, "storage"), 91.25e12));
        assert!(close(value(i, "replicated"), 273.75e12));
        // 347,222.2/s x 500 B = 173.6 MB/s = 1.39 Gbit/s
        assert!(close(value(i, "read_egress"), 3e10 / 86_400.0 * 500.0));
        // 100e6/day x 5 days = 500e6 distinct URLs read in a day; x 0.2 x 500 B = 50e9 B = 50 GB
        assert!(close(value(i, "read_in_a_day"), 500e6));
        assert!(close(value(i, "cache"), 50e9));
        // ceil(347,222 / 20,000) = ceil(17.36) = 18
        assert_eq!(value(i, "servers"), 18.0);
        // 347,222/s x 0.005 s = 1,736.1 reads in flight
        assert!(close(value(i, "in_flight"), 3e10 / 86_400.0 * 0.005));
    }

    // ANCHOR_END: url_test

    // ANCHOR: chat_test
    #[test]
    fn chat_matches_hand_computed_numbers() {
        let i = CHAT_INPUT;
        // 50e6 x 40 = 2e9 messages a day / 86,400 = 23,148.1/s; x3 = 69,444.4; x3 recipients = 208,333.3
        assert!(close(value(i, "msg_qps"), 2e9 / 86_400.0));
        assert!(close(value(i, "peak_msg_qps"), 6e9 / 86_400.0));
        assert!(close(value(i, "deliveries"), 18e9 / 86_400.0));
        // 2e9 x 365 x 200 B = 146e12 B = 146 TB a year; x3 = 438 TB = 0.438 PB
        assert!(close(value(i, "storage_year"), 146e12));
        assert!(close(value(i, "replicated"), 438e12));
        // stored once per recipient: x3 = 1,314 TB = 1.31 PB
        assert!(close(value(i, "inbox_copies"), 1314e12));
        // 208,333.3/s x 200 B = 41.67 MB/s = 333 Mbit/s
        assert!(close(value(i, "egress"), 18e9 / 86_400.0 * 200.0));
        // 10 M online / 100 K per gateway = 100 gateways; 10 M / 30 s = 333,333 heartbeats/s
        assert_eq!(value(i, "online"), 10e6);
        assert_eq!(value(i, "gateways"), 100.0);
        assert!(close(value(i, "heartbeats"), 1e7 / 30.0));
        // 208,333.3/s x 0.05 s = 10,416.7 deliveries in flight
        assert!(close(value(i, "in_flight"), 18e9 / 86_400.0 * 0.05));
    }

    // ANCHOR_END: chat_test

    #[test]
    fn generic_estimate_and_littles_law() {
        let i = ESTIMATOR;
        // 100e6 x 2 / 86,400 = 2,314.8 writes/s; 23,148 reads/s; 69,444 at the peak
        assert!(close(value(i, "write_qps"), 2e8 / 86_400.0));
        assert!(close(value(i, "peak_read_qps"), 6e9 / 86_400.0));
        // 2e8 x 365 x 500 B x 3 = 109.5e12 B
        assert!(close(value(i, "storage_year"), 109.5e12));
        // 69,444/s x 20 ms = 1,388.9 requests in flight; 6,944/s x 4 ms = 27.8 connections busy
        assert!(close(value(i, "in_flight"), 6e9 / 86_400.0 * 0.02));
        assert!(close(value(i, "db_pool"), 6e8 / 86_400.0 * 0.004));
    }

    #[test]
    fn unit_mistakes_are_errors_with_the_line() {
        let e = evaluate("a = 500 B\nb = 2 s\nc = a + b\n").unwrap_err();
        assert_eq!(e.to_string(), "input line 3: cannot add bytes and time: the dimensions differ");
        let e = evaluate("qps = 10 /s\nx = qps - 1 GB\n").unwrap_err();
        assert_eq!(e.to_string(), "input line 2: cannot subtract 1/time and bytes: the dimensions differ");
        let e = evaluate("x = 5 GB in /s\n").unwrap_err();
        assert_eq!(e.to_string(), "input line 1: `x` is bytes, which cannot be shown in 1/time");
        let e = evaluate("x = 5 GB\ny = ceil(x)\n").unwrap_err();
        assert!(e.to_string().starts_with("input line 2: ceil() takes a plain number, not bytes"));
        let e = evaluate("x = 5 GB\ny = max(x, 2 s)\n").unwrap_err();
        assert_eq!(e.line, Some(2));
        assert_eq!(evaluate("x = y * 2\n").unwrap_err().line, Some(1));
        assert_eq!(evaluate("B = 2\n").unwrap_err().line, Some(1));
        assert_eq!(evaluate("x = 1\nx = 2\n").unwrap_err().line, Some(2));
        assert_eq!(evaluate("x = (1 + 2\n").unwrap_err().line, Some(1));
        assert_eq!(evaluate("x = 1 / 0\n").unwrap_err().line, Some(1));
        // Requests and users are dimensions too, when written.
        let e = evaluate("a = 3 req\nb = 2 user\nc = a + b\n").unwrap_err();
        assert_eq!(e.to_string(), "input line 3: cannot add requests and users: the dimensions differ");
    }

    #[test]
    fn units_and_display() {
        let show = |s: &str| render(&evaluate(s).unwrap());
        assert_eq!(show("x = 1 KiB in B\n"), "x = 1,024 B\n");
        assert_eq!(show("x = 2^40 B in TiB\n"), "x = 1 TiB\n");
        assert_eq!(show("x = 1 GB / 1 s\n"), "x = 1 GB/s = 8 Gbit/s\n");
        assert_eq!(show("x = 2 /day\n"), "x = 2 /day\n");
        assert_eq!(show("x = 1 day in s\n"), "x = 86,400 s\n");
        assert_eq!(show("x = 1 day\ny = 5 M / x in /s\n").lines().last().unwrap(), "y = 57.9 /s   (5 M / x)");
        assert_eq!(show("x = 100 M /day\n"), "x = 1,157 /s = 100 M /day\n");
        assert_eq!(show("x = 3 /year\n"), "x = 3 /year\n");
        assert!(
            show("x = 40 req/user/day\nu = 5 M user\nq = u * x\n")
                .contains("q = 2,315 req/s = 200 M req/day   (u * x)")
        );
        assert_eq!(show("x = 3 GB / 2 s\n"), "x = 1.5 GB/s = 12 Gbit/s\n");
        assert_eq!(show("x = 1.5e3 ms\n"), "x = 1.5 s\n");
    }

    /// With req and user written, forgetting a factor is a unit error, not a wrong number.
    #[test]
    fn forgotten_factors_are_unit_errors() {
        // Forgot x users: req/user/s shown where the line promises req/s.
        let e = evaluate("users = 5 M user\nrate = 2 req/user/day\nqps = rate in req/s\n").unwrap_err();
        assert_eq!(e.line, Some(3));
        // Users added to messages.
        let e = evaluate("users = 5 M user\nmsgs = 9 M req\nx = users + msgs\n").unwrap_err();
        assert_eq!(e.line, Some(3));
        // The worked examples now carry the dimensions.
        let qps = evaluate(ESTIMATOR).unwrap().into_iter().find(|l| l.name == "write_qps").unwrap();
        assert_eq!(qps.q.dim, super::super::units::Dim([0, -1, 1, 0]));
    }

    #[test]
    fn ladder_sorts_and_rejects_non_times() {
        let out = ladder(LADDER_INPUT).unwrap();
        assert!(out.lines().nth(2).unwrap().starts_with("l1_hit"));
        assert_eq!(ladder("x = 5 B\n").unwrap_err().line, Some(1));
    }
}
