//! Page replacement on a reference string: FIFO, LRU, clock (second chance) and OPT (Belady's
//! optimal), each with a number of physical frames, counting faults and hits.
//!
//! The model is the one OSTEP's chapter 22 uses: memory holds `frames` pages; a reference to a
//! page in memory is a hit, any other reference a fault, which loads the page, into the
//! lowest-numbered free frame while there is one, else into the frame of a victim the policy
//! picks:
//!
//! * FIFO evicts the page loaded longest ago (a hit changes nothing);
//! * LRU evicts the page used longest ago (a hit counts as a use);
//! * clock keeps a reference bit per frame, set on every use (and on load), and a hand: on a
//!   fault with no free frame it sweeps from the hand, clearing set bits, and evicts the first
//!   frame whose bit is already clear; the hand then points past the loaded frame, and while
//!   frames are still free it moves past each one loaded;
//! * OPT evicts the page whose next use is furthest away (never used again counts as furthest;
//!   a tie goes to the lowest-numbered frame). It needs the future, so no kernel can run it, but
//!   it is the bound the others are measured against.

use std::fmt::Write as _;

use crate::figure::{Figure, Lane, Mark, Span, SpanKind, Step};
use crate::input::Params;
use crate::registry::{Drawn, Example, InputError, REVEAL_MARKER, Run, Runs};
use crate::rng::Rng;

pub const EXAMPLE: Example = Example {
    id: "memory::replacement",
    title: "Page replacement: FIFO, LRU, clock and OPT on a reference string (and Belady's anomaly)",
    file: file!(),
    default_input: DEFAULT_INPUT,
    input_help: "`refs = 1 2 3 …` (pages 0–99, at most 64 references), `frames = 3 4` (1–8 frames, up to 4 \
                 counts), `policy = fifo lru clock opt` (any of them), `draw = fifo` (the policy drawn)",
    runs: Runs::Everywhere,
    run: Run::Drawn(run),
};

/// A generated problem with its answer hidden behind the marker.
pub const PREDICT: Example = Example {
    id: "memory::replacement_predict",
    title: "Predict, then reveal: how many page faults?",
    file: file!(),
    default_input: "seed = 30\n",
    input_help: "`seed = N`: every seed generates another reference string, frame count and policy",
    runs: Runs::Everywhere,
    run: Run::Text(run_predict),
};

const DEFAULT_INPUT: &str = "\
# Belady's reference string (1969): five pages, twelve references.
refs = 1 2 3 4 1 2 5 1 2 3 4 5
frames = 3 4
policy = fifo lru clock opt
# The policy whose frames the drawing shows, for each frame count.
draw = fifo
";

pub const MAX_REFS: usize = 64;
pub const MAX_FRAMES: usize = 8;
pub const MAX_PAGE: u32 = 99;
const MAX_FRAME_COUNTS: usize = 4;

// ANCHOR: example
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    Fifo,
    Lru,
    Clock,
    Opt,
}

/// What one reference did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Access {
    pub page: u32,
    /// The frame the page is in after the reference.
    pub frame: usize,
    pub fault: bool,
    /// The page evicted from `frame` to make room, if any.
    pub evicted: Option<u32>,
}

/// Runs `policy` with `frames` frames over `refs`: one [`Access`] per reference.
pub fn simulate(policy: Policy, frames: usize, refs: &[u32]) -> Vec<Access> {
    let mut page_in: Vec<Option<u32>> = vec![None; frames]; // the page each frame holds
    let mut loaded_at = vec![0usize; frames]; // FIFO: when the frame's page came in
    let mut used_at = vec![0usize; frames]; // LRU: when it was last used
    let mut referenced = vec![false; frames]; // clock: the reference bit
    let mut hand = 0usize; // clock: the next frame to look at
    let mut trace = Vec::with_capacity(refs.len());
    for (now, &page) in refs.iter().enumerate() {
        if let Some(frame) = page_in.iter().position(|&p| p == Some(page)) {
            used_at[frame] = now;
            referenced[frame] = true;
            trace.push(Access { page, frame, fault: false, evicted: None });
            continue;
        }
        let frame = match page_in.iter().position(Option::is_none) {
            Some(free) => {
                if policy == Policy::Clock {
                    hand = (free + 1) % frames;
                }
                free
            }
            None => match policy {
                Policy::Fifo => (0..frames).min_by_key(|&f| loaded_at[f]).expect("frames ≥ 1"),
                Policy::Lru => (0..frames).min_by_key(|&f| used_at[f]).expect("frames ≥ 1"),
                Policy::Clock => {
                    // Second chance: a set bit is cleared and passed over; at most one full
                    // turn clears them all, so the loop ends.
                    while referenced[hand] {
                        referenced[hand] = false;
                        hand = (hand + 1) % frames;
                    }
                    let victim = hand;
                    hand = (hand + 1) % frames;
                    victim
                }
                Policy::Opt => {
                    let next_use = |f: usize| {
                        let p = page_in[f];
                        refs[now + 1..].iter().position(|&r| Some(r) == p).unwrap_or(usize::MAX)
                    };
                    // The furthest next use; among equals, the lowest frame (max_by_key would
                    // take the last).
                    (0..frames).rev().max_by_key(|&f| next_use(f)).expect("frames ≥ 1")
                }
            },
        };
        let evicted = page_in[frame].replace(page);
        loaded_at[frame] = now;
        used_at[frame] = now;
        referenced[frame] = true;
        trace.push(Access { page, frame, fault: true, evicted });
    }
    trace
}
// ANCHOR_END: example

pub fn faults(trace: &[Access]) -> usize {
    trace.iter().filter(|a| a.fault).count()
}

impl Policy {
    pub fn name(self) -> &'static str {
        match self {
            Policy::Fifo => "FIFO",
            Policy::Lru => "LRU",
            Policy::Clock => "Clock",
            Policy::Opt => "OPT",
        }
    }

    fn parse(word: &str) -> Option<Policy> {
        match word.to_ascii_lowercase().as_str() {
            "fifo" => Some(Policy::Fifo),
            "lru" => Some(Policy::Lru),
            "clock" => Some(Policy::Clock),
            "opt" => Some(Policy::Opt),
            _ => None,
        }
    }

    /// Why the victim was chosen, in a few words.
    fn rule(self) -> &'static str {
        match self {
            Policy::Fifo => "loaded longest ago",
            Policy::Lru => "used longest ago",
            Policy::Clock => "first with its bit clear",
            Policy::Opt => "next used furthest ahead",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub refs: Vec<u32>,
    pub frames: Vec<usize>,
    pub policies: Vec<Policy>,
    pub draw: Policy,
}

pub fn parse(params: &Params<'_>) -> Result<Problem, InputError> {
    let refs_entry = params.one("refs")?.ok_or_else(|| InputError::new("missing `refs = 1 2 3 …`"))?;
    let refs: Vec<u32> = refs_entry.numbers(0, MAX_PAGE)?;
    if refs.len() > MAX_REFS {
        return Err(InputError::at_line(refs_entry.line, format!("at most {MAX_REFS} references")));
    }
    let frames: Vec<usize> = match params.one("frames")? {
        None => vec![3],
        Some(entry) => {
            let frames = entry.numbers(1, MAX_FRAMES)?;
            if frames.len() > MAX_FRAME_COUNTS {
                return Err(InputError::at_line(
                    entry.line,
                    format!("at most {MAX_FRAME_COUNTS} frame counts"),
                ));
            }
            frames
        }
    };
    let mut policies = Vec::new();
    let policy_line = params.one("policy")?;
    match policy_line {
        None => policies = vec![Policy::Fifo, Policy::Lru, Policy::Clock, Policy::Opt],
        Some(entry) => {
            for word in entry.value.split_whitespace() {
                let policy = Policy::parse(word).ok_or_else(|| {
                    InputError::at_line(
                        entry.line,
                        format!("`{word}` is not a policy (expected `fifo`, `lru`, `clock` or `opt`)"),
                    )
                })?;
                if !policies.contains(&policy) {
                    policies.push(policy);
                }
            }
            if policies.is_empty() {
                return Err(InputError::at_line(entry.line, "name at least one policy"));
            }
        }
    }
    let draw = match params.one("draw")? {
        None => policies[0],
        Some(entry) => Policy::parse(entry.value)
            .ok_or_else(|| InputError::at_line(entry.line, format!("`{}` is not a policy", entry.value)))?,
    };
    Ok(Problem { refs, frames, policies, draw })
}

/// `250` per mille as `25.0%`, without float formatting (which would grow the wasm module).
fn per_mille(part: usize, whole: usize) -> String {
    if whole == 0 {
        return "-".to_string();
    }
    let pm = (part * 1000 + whole / 2) / whole;
    format!("{}.{}%", pm / 10, pm % 10)
}

fn join(refs: &[u32]) -> String {
    refs.iter().map(u32::to_string).collect::<Vec<_>>().join(" ")
}

/// The frames after each reference, as `[1 2 .]`.
fn frames_after(trace: &[Access], upto: usize, frames: usize) -> String {
    let mut held: Vec<Option<u32>> = vec![None; frames];
    for access in &trace[..=upto] {
        held[access.frame] = Some(access.page);
    }
    let cells: Vec<String> = held.iter().map(|p| p.map_or(".".to_string(), |p| p.to_string())).collect();
    format!("[{}]", cells.join(" "))
}

fn trace_text(out: &mut String, policy: Policy, frames: usize, refs: &[u32], trace: &[Access]) {
    let _ = writeln!(out, "{} with {frames} frames, reference by reference:", policy.name());
    for (t, access) in trace.iter().enumerate() {
        let what = match (access.fault, access.evicted) {
            (false, _) => "hit".to_string(),
            (true, None) => format!("fault, into free frame {}", access.frame),
            (true, Some(old)) => {
                format!("fault, evicts {old} from frame {} ({})", access.frame, policy.rule())
            }
        };
        let _ = writeln!(
            out,
            "  {:>2}. page {:>2}: {:<55} {}",
            t + 1,
            refs[t],
            what,
            frames_after(trace, t, frames)
        );
    }
}

pub fn report(problem: &Problem) -> String {
    let refs = &problem.refs;
    let mut out = String::new();
    let _ = writeln!(out, "reference string ({} references): {}", refs.len(), join(refs));
    let _ = writeln!(out, "policy  frames  faults  hits  hit rate");
    let mut anomalies: Vec<String> = Vec::new();
    for &policy in &problem.policies {
        let mut seen: Vec<(usize, usize)> = Vec::new();
        for &frames in &problem.frames {
            let n = faults(&simulate(policy, frames, refs));
            let _ = writeln!(
                out,
                "{:<7} {:>6}  {:>6}  {:>4}  {:>8}",
                policy.name(),
                frames,
                n,
                refs.len() - n,
                per_mille(refs.len() - n, refs.len())
            );
            seen.push((frames, n));
        }
        for &(fa, na) in &seen {
            for &(fb, nb) in &seen {
                if fa < fb && na < nb {
                    anomalies.push(format!(
                        "Belady's anomaly: {} faults more with {fb} frames ({nb}) than with {fa} ({na}).",
                        policy.name()
                    ));
                }
            }
        }
    }
    if anomalies.is_empty() {
        let _ = writeln!(out, "No anomaly here: no policy faults more with more frames.");
    }
    for line in anomalies {
        let _ = writeln!(out, "{line}");
    }
    out.push('\n');
    for &frames in &problem.frames {
        let trace = simulate(problem.draw, frames, refs);
        trace_text(&mut out, problem.draw, frames, refs, &trace);
    }
    out
}

/// One timeline per frame count of the drawn policy: a lane of references (a hit is busy, a
/// fault is lost time) and a lane per frame with the page it holds from its load to its
/// eviction; one step per reference.
pub fn draw(problem: &Problem) -> Figure {
    let refs = &problem.refs;
    let end = refs.len() as f64;
    let mut lanes: Vec<Lane> = Vec::new();
    // For each frame count: the lane of references, and per reference the (lane, span) of
    // the page loaded then, if any.
    let mut marks_at: Vec<Vec<Mark>> = vec![Vec::new(); refs.len()];
    let mut texts: Vec<Vec<String>> = vec![Vec::new(); refs.len()];
    for &frames in &problem.frames {
        let trace = simulate(problem.draw, frames, refs);
        let ref_lane = lanes.len();
        lanes.push(Lane { name: format!("{frames} frames: refs"), spans: Vec::new() });
        let first_frame_lane = lanes.len();
        for f in 0..frames {
            lanes.push(Lane { name: format!("{frames} frames: frame {f}"), spans: Vec::new() });
        }
        for (t, access) in trace.iter().enumerate() {
            let at = t as f64;
            let label = format!("{} {}", access.page, if access.fault { "fault" } else { "hit" });
            let kind = if access.fault { SpanKind::Lost } else { SpanKind::Busy };
            lanes[ref_lane].spans.push(Span { start: at, end: at + 1.0, label, kind });
            marks_at[t].push(Mark::Span { lane: ref_lane, span: t });
            if access.fault {
                let lane = &mut lanes[first_frame_lane + access.frame];
                if let Some(last) = lane.spans.last_mut() {
                    last.end = at;
                }
                lane.spans.push(Span {
                    start: at,
                    end,
                    label: format!("page {}", access.page),
                    kind: SpanKind::Busy,
                });
                marks_at[t]
                    .push(Mark::Span { lane: first_frame_lane + access.frame, span: lane.spans.len() - 1 });
            }
            texts[t].push(match (access.fault, access.evicted) {
                (false, _) => format!("{frames} frames: hit"),
                (true, None) => format!("{frames} frames: fault, free frame {}", access.frame),
                (true, Some(old)) => format!("{frames} frames: fault, evicts {old}"),
            });
        }
    }
    let steps = (0..refs.len())
        .map(|t| Step {
            at: t as f64,
            text: format!("reference {}: page {}: {}", t + 1, refs[t], texts[t].join("; ")),
            marks: std::mem::take(&mut marks_at[t]),
        })
        .collect();
    Figure::Timeline {
        title: format!("{}: which page each frame holds", problem.draw.name()),
        unit: "references".to_string(),
        lanes,
        steps,
    }
}

const KEYS: &[&str] = &["refs", "frames", "policy", "draw"];

fn run(input: &str) -> Result<Drawn, InputError> {
    let params = Params::parse(input, KEYS)?;
    let problem = parse(&params)?;
    Ok(Drawn { text: report(&problem), figure: draw(&problem) })
}

/// A reference string of 5 to 7 pages with some locality: about a third of the references
/// repeat one of the last few pages.
pub fn generate(seed: u64) -> Problem {
    let mut rng = Rng::new(seed);
    let pages = rng.range(5, 7) as u32;
    let mut refs: Vec<u32> = Vec::new();
    for _ in 0..12 {
        let page = if refs.len() >= 2 && rng.chance(0.35) {
            refs[refs.len() - 1 - rng.range(1, (refs.len() - 1).min(3) as u64) as usize]
        } else {
            rng.range(1, pages as u64) as u32
        };
        refs.push(page);
    }
    // OPT is the answer's yardstick, so the question is about one of the three real policies.
    let policy = [Policy::Fifo, Policy::Lru, Policy::Clock][rng.range(0, 2) as usize];
    let frames = rng.range(3, 4) as usize;
    Problem { refs, frames: vec![frames], policies: vec![policy], draw: policy }
}

fn run_predict(input: &str) -> Result<String, InputError> {
    let params = Params::parse(input, &["seed"])?;
    let seed = params.number_or("seed", 0, u64::MAX, 1)?;
    let problem = generate(seed);
    let (policy, frames) = (problem.draw, problem.frames[0]);
    let mut out = format!(
        "Predict, then reveal (seed {seed}). {} with {frames} frames, all empty at the start, runs on\n\n  {}\n\n\
         Before you look: how many of the {} references fault? Which pages are in the frames at\n\
         the end? Would OPT do better, and by how many faults?\n",
        policy.name(),
        join(&problem.refs),
        problem.refs.len()
    );
    out.push_str(REVEAL_MARKER);
    out.push('\n');
    let trace = simulate(policy, frames, &problem.refs);
    trace_text(&mut out, policy, frames, &problem.refs, &trace);
    let opt = faults(&simulate(Policy::Opt, frames, &problem.refs));
    let _ = writeln!(
        out,
        "{} faults of {} (hit rate {}); OPT would take {opt}.",
        faults(&trace),
        problem.refs.len(),
        per_mille(problem.refs.len() - faults(&trace), problem.refs.len())
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BELADY: [u32; 12] = [1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5];

    fn faulting_pages(policy: Policy, frames: usize, refs: &[u32]) -> Vec<u32> {
        simulate(policy, frames, refs).iter().filter(|a| a.fault).map(|a| a.page).collect()
    }

    #[test]
    fn fifo_shows_beladys_anomaly() {
        // By hand, 3 frames, the queue oldest first:
        // 1 2 3 fault (fill) → [1 2 3]; 4 evicts 1 → q 2 3 4; 1 evicts 2 → q 3 4 1;
        // 2 evicts 3 → q 4 1 2; 5 evicts 4 → q 1 2 5; 1 hit; 2 hit; 3 evicts 1 → q 2 5 3;
        // 4 evicts 2 → q 5 3 4; 5 hit. Faults: 1 2 3 4 1 2 5 3 4 = 9.
        assert_eq!(faulting_pages(Policy::Fifo, 3, &BELADY), [1, 2, 3, 4, 1, 2, 5, 3, 4]);
        // 4 frames: 1 2 3 4 fault; 1 hit; 2 hit; 5 evicts 1 → q 2 3 4 5; 1 evicts 2; 2 evicts 3;
        // 3 evicts 4; 4 evicts 5; 5 evicts 1. Faults: 4 + 6 = 10.
        assert_eq!(faulting_pages(Policy::Fifo, 4, &BELADY), [1, 2, 3, 4, 5, 1, 2, 3, 4, 5]);
        let out = report(&parse(&Params::parse(DEFAULT_INPUT, KEYS).unwrap()).unwrap());
        assert!(
            out.contains("Belady's anomaly: FIFO faults more with 4 frames (10) than with 3 (9)."),
            "{out}"
        );
    }

    #[test]
    fn lru_on_beladys_string() {
        // 3 frames, recency oldest first: 1 2 3 fault; 4 evicts 1 (r 2 3 4); 1 evicts 2 (r 3 4 1);
        // 2 evicts 3 (r 4 1 2); 5 evicts 4 (r 1 2 5); 1 hit (r 2 5 1); 2 hit (r 5 1 2);
        // 3 evicts 5 (r 1 2 3); 4 evicts 1 (r 2 3 4); 5 evicts 2. Faults: 10.
        let trace = simulate(Policy::Lru, 3, &BELADY);
        assert_eq!(faulting_pages(Policy::Lru, 3, &BELADY), [1, 2, 3, 4, 1, 2, 5, 3, 4, 5]);
        assert!(!trace[7].fault); // reference 8, page 1: a hit
        assert_eq!(trace[9].evicted, Some(5)); // reference 10, page 3
        // 4 frames: 1 2 3 4 fault; 1, 2 hit (r 3 4 1 2); 5 evicts 3 (r 4 1 2 5); 1, 2 hit
        // (r 4 5 1 2); 3 evicts 4 (r 5 1 2 3); 4 evicts 5 (r 1 2 3 4); 5 evicts 1. Faults: 8.
        assert_eq!(faulting_pages(Policy::Lru, 4, &BELADY), [1, 2, 3, 4, 5, 3, 4, 5]);
    }

    #[test]
    fn opt_on_beladys_string() {
        // 3 frames: 1 2 3 fault; 4: next uses 1 at ref 5, 2 at 6, 3 at 10 → evicts 3; 1, 2 hit;
        // 5: next uses 1 at 8, 2 at 9, 4 at 11 → evicts 4; 1, 2 hit; 3: 1 and 2 never used again,
        // 5 at 12 → evicts 1 (tie, lower frame 0); 4: 3 and 2 never again → evicts 3 (frame 0);
        // 5 hit. Faults: 1 2 3 4 5 3 4 = 7.
        let trace = simulate(Policy::Opt, 3, &BELADY);
        assert_eq!(faulting_pages(Policy::Opt, 3, &BELADY), [1, 2, 3, 4, 5, 3, 4]);
        assert_eq!(
            (trace[3].evicted, trace[6].evicted, trace[9].evicted, trace[10].evicted),
            (Some(3), Some(4), Some(1), Some(3))
        );
        // 4 frames: 1 2 3 4 fault; 1 2 hit; 5: next uses 1 at 8, 2 at 9, 3 at 10, 4 at 11 → evicts
        // 4; 1 2 3 hit; 4 evicts 1 (1 and 2 never again, 1 in frame 0); 5 hit. Faults: 6.
        assert_eq!(faulting_pages(Policy::Opt, 4, &BELADY), [1, 2, 3, 4, 5, 4]);
    }

    #[test]
    fn clock_gives_a_second_chance() {
        // 3 frames, (page, bit) per frame and the hand h:
        // 1 2 3 fill → (1,1)(2,1)(3,1) h0. 4: clear 1, 2, 3, back at frame 0 with bit 0 → evict
        // 1 → (4,1)(2,0)(3,0) h1. 1: frame 1 bit 0 → evict 2 → (4,1)(1,1)(3,0) h2. 2: evict 3
        // → (4,1)(1,1)(2,1) h0. 5: clear all, evict 4 → (5,1)(1,0)(2,0) h1. 1 hit → bit 1;
        // 2 hit → bit 1. 3: clear 1 (h1), clear 2 (h2), clear 5 (h0), frame 1 bit 0 → evict 1
        // → (5,0)(3,1)(2,0) h2. 4: frame 2 bit 0 → evict 2 → (5,0)(3,1)(4,1) h0. 5 hit.
        // Faults: 1 2 3 4 1 2 5 3 4 = 9.
        let trace = simulate(Policy::Clock, 3, &BELADY);
        assert_eq!(faulting_pages(Policy::Clock, 3, &BELADY), [1, 2, 3, 4, 1, 2, 5, 3, 4]);
        assert_eq!((trace[9].evicted, trace[10].evicted), (Some(1), Some(2)));
        // Where the second chance matters, 3 frames on 1 2 3 4 2 5: 4 evicts 1 →
        // (4,1)(2,0)(3,0) h1; 2 hits and sets its bit → (2,1); 5: frame 1's bit is set, so it is
        // cleared and passed over; frame 2's is clear → evicts 3. FIFO evicts 2, the oldest.
        let refs = [1, 2, 3, 4, 2, 5];
        assert_eq!(simulate(Policy::Clock, 3, &refs)[5].evicted, Some(3));
        assert_eq!(simulate(Policy::Fifo, 3, &refs)[5].evicted, Some(2));
    }

    #[test]
    fn lru_and_opt_never_do_worse_with_more_frames_and_opt_is_a_lower_bound() {
        for seed in 0..200 {
            let refs = generate(seed).refs;
            for frames in 1..MAX_FRAMES {
                for policy in [Policy::Lru, Policy::Opt] {
                    let (a, b) = (
                        faults(&simulate(policy, frames, &refs)),
                        faults(&simulate(policy, frames + 1, &refs)),
                    );
                    assert!(
                        b <= a,
                        "{policy:?} seed {seed}: {a} faults with {frames} frames, {b} with one more"
                    );
                }
                let opt = faults(&simulate(Policy::Opt, frames, &refs));
                for policy in [Policy::Fifo, Policy::Lru, Policy::Clock] {
                    assert!(
                        faults(&simulate(policy, frames, &refs)) >= opt,
                        "{policy:?} beat OPT, seed {seed}"
                    );
                }
            }
        }
    }

    #[test]
    fn figure_validates_and_predict_hides_the_answer() {
        let drawn = run(DEFAULT_INPUT).unwrap();
        drawn.figure.validate().unwrap();
        let text = run_predict("seed = 30").unwrap();
        let (problem, answer) = text.split_once(&format!("\n{REVEAL_MARKER}\n")).unwrap();
        assert!(problem.contains("Before you look") && answer.contains("OPT would take"), "{text}");
        assert_eq!(per_mille(3, 12), "25.0%");
        assert_eq!(per_mille(2, 3), "66.7%");
    }

    #[test]
    fn input_errors_name_the_line() {
        let err = run("refs = 1 2\npolicy = lifo\n").unwrap_err();
        assert_eq!(err.line, Some(2));
        assert!(err.message.contains("`lifo` is not a policy"));
        assert_eq!(run("refs = 1 200\n").unwrap_err().line, Some(1));
        assert_eq!(run("refs = 1\nframes = 0\n").unwrap_err().line, Some(2));
        assert!(run("frames = 3\n").unwrap_err().message.contains("missing `refs"));
    }
}
