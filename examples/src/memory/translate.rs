//! An x86-64 address translator: a virtual address, split 9 + 9 + 9 + 9 + 12, looked up in a
//! small TLB and, on a miss, walked through four levels of page tables (PML4, PDPT, PD, PT),
//! each level's index picking one 8-byte entry that names the next table or, at the end, the
//! physical page. A 2 MiB page ends the walk one level early, at the PD.
//!
//! The model keeps what the walk needs and leaves out the rest: entries have a present bit, a
//! target and a page-size bit, but no permission, accessed or dirty bits; the TLB is one
//! fully associative table with least-recently-used replacement that holds 4 KiB and 2 MiB
//! entries alike (real cores have separate, set-associative TLBs per page size, and a second
//! level behind them); there are no paging-structure caches, so every miss reads all its
//! levels. Tables are placed at physical addresses from 0x100000 upwards, in the order the
//! mappings need them.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::figure::{Figure, Message, Note, Step};
use crate::input::{Entry, Params};
use crate::registry::{Drawn, Example, InputError, REVEAL_MARKER, Run, Runs};
use crate::rng::Rng;

pub const EXAMPLE: Example = Example {
    id: "memory::translate",
    title: "Translating an address: TLB, then a four-level page walk",
    file: file!(),
    default_input: DEFAULT_INPUT,
    input_help: "`page = VA -> PA` (a 4 KiB page) and `huge = VA -> PA` (a 2 MiB page), hex, aligned; \
                 `tlb = N` entries (1–64); `access = VA …` in order (at most 24)",
    runs: Runs::Everywhere,
    run: Run::Drawn(run),
};

pub const PREDICT: Example = Example {
    id: "memory::translate_predict",
    title: "Predict, then reveal: indices, TLB hits and page-table reads",
    file: file!(),
    default_input: "seed = 5\n",
    input_help: "`seed = N`: every seed generates other mappings and accesses",
    runs: Runs::Everywhere,
    run: Run::Text(run_predict),
};

const DEFAULT_INPUT: &str = "\
# The mappings the page tables are built from (virtual -> physical, hex).
page = 0x7f3a_0000_1000 -> 0x2a000
page = 0x7f3a_0000_2000 -> 0x2b000
page = 0x7f3a_0040_5000 -> 0x9c000
huge = 0x7f3a_0060_0000 -> 0x4000_0000
# A TLB of two entries (real first-level TLBs hold tens; two makes evictions visible).
tlb = 2
access = 0x7f3a_0000_1234
access = 0x7f3a_0000_1ff0
access = 0x7f3a_0000_2010
access = 0x7f3a_0040_5008
access = 0x7f3a_0000_1000
access = 0x7f3a_0061_2345
access = 0x7f3a_007f_0000
access = 0x7f3a_0000_3000
access = 0x8000_0000_0000
";

pub const MAX_MAPPINGS: usize = 16;
pub const MAX_ACCESSES: usize = 24;
pub const MAX_TLB: usize = 64;
const TABLES_FROM: u64 = 0x10_0000;
const LEVELS: [&str; 4] = ["PML4", "PDPT", "PD", "PT"];
const SMALL: u64 = 1 << 12;
const HUGE: u64 = 1 << 21;

// ANCHOR: example
/// One 8-byte page-table entry, as far as the walk cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pte {
    /// Present; points to the next level's table at this physical address.
    Table(u64),
    /// Present; maps a page of `size` bytes at this physical address (at the PT, or at the PD
    /// with the page-size bit set).
    Page { base: u64, size: u64 },
}

/// The four indices and the offset of a 48-bit virtual address: bits 47–39, 38–30, 29–21, 20–12
/// and 11–0.
pub fn split(va: u64) -> ([usize; 4], u64) {
    let index = |level: u32| ((va >> (39 - 9 * level)) & 0x1ff) as usize;
    ([index(0), index(1), index(2), index(3)], va & 0xfff)
}

/// Canonical: bits 63–48 are copies of bit 47, so the address is in the lower or upper half.
pub fn canonical(va: u64) -> bool {
    let top = va >> 47;
    top == 0 || top == 0x1_ffff
}

#[derive(Debug, Clone, Default)]
pub struct PageTables {
    /// Entries by (physical address of the table, index). Missing: not present.
    entries: BTreeMap<(u64, usize), Pte>,
    /// The physical addresses of the tables, the root (what CR3 holds) first, with their level.
    pub tables: Vec<(u64, usize)>,
}

/// One entry the walk read: the level, the table, the index and what it found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Read {
    pub level: usize,
    pub table: u64,
    pub index: usize,
    pub found: Option<Pte>,
}

impl PageTables {
    pub fn root(&self) -> u64 {
        self.tables[0].0
    }

    /// The walk the MMU does on a TLB miss: start at CR3's table, use one index per level,
    /// stop at a page or at an entry that is not present (a page fault).
    pub fn walk(&self, va: u64) -> Vec<Read> {
        let (indices, _) = split(va);
        let mut reads = Vec::new();
        let mut table = self.root();
        for (level, &index) in indices.iter().enumerate() {
            let found = self.entries.get(&(table, index)).copied();
            reads.push(Read { level, table, index, found });
            match found {
                Some(Pte::Table(next)) => table = next,
                _ => break,
            }
        }
        reads
    }
}
// ANCHOR_END: example

impl PageTables {
    fn new() -> Self {
        PageTables { entries: BTreeMap::new(), tables: vec![(TABLES_FROM, 0)] }
    }

    /// Adds a mapping of `size` (4 KiB or 2 MiB), creating the tables on its way.
    fn map(&mut self, va: u64, pa: u64, size: u64) -> Result<(), String> {
        let (indices, _) = split(va);
        let last = if size == HUGE { 2 } else { 3 };
        let mut table = self.root();
        for (level, &index) in indices.iter().enumerate().take(last) {
            table = match self.entries.get(&(table, index)) {
                Some(Pte::Table(next)) => *next,
                Some(Pte::Page { .. }) => {
                    return Err(format!(
                        "lies inside a 2 MiB page already mapped at {} level",
                        LEVELS[level]
                    ));
                }
                None => {
                    let next = TABLES_FROM + SMALL * self.tables.len() as u64;
                    self.tables.push((next, level + 1));
                    self.entries.insert((table, index), Pte::Table(next));
                    next
                }
            };
        }
        match self.entries.get(&(table, indices[last])) {
            Some(Pte::Table(_)) => {
                Err("covers 4 KiB pages already mapped: a PD entry is a table or a page".into())
            }
            Some(Pte::Page { .. }) => Err("is already mapped".into()),
            None => {
                self.entries.insert((table, indices[last]), Pte::Page { base: pa, size });
                Ok(())
            }
        }
    }
}

/// A TLB entry: the page it covers and where it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct TlbEntry {
    page: u64, // the virtual base
    size: u64,
    base: u64, // the physical base
    used: usize,
}

/// What happened to one access.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    NotCanonical,
    Hit { pa: u64, size: u64 },
    Walked { reads: Vec<Read>, pa: Option<u64>, evicted: Option<(u64, u64)> },
}

#[derive(Debug, Clone)]
pub struct Problem {
    pub tables: PageTables,
    pub mappings: Vec<(u64, u64, u64)>,
    pub tlb: usize,
    pub accesses: Vec<u64>,
}

/// Runs every access in order through the TLB and, on a miss, the walk.
pub fn simulate(problem: &Problem) -> Vec<Outcome> {
    let mut tlb: Vec<TlbEntry> = Vec::new();
    let mut outcomes = Vec::new();
    for (now, &va) in problem.accesses.iter().enumerate() {
        if !canonical(va) {
            outcomes.push(Outcome::NotCanonical);
            continue;
        }
        if let Some(entry) = tlb.iter_mut().find(|e| va & !(e.size - 1) == e.page) {
            entry.used = now;
            outcomes.push(Outcome::Hit { pa: entry.base + (va & (entry.size - 1)), size: entry.size });
            continue;
        }
        let reads = problem.tables.walk(va);
        let (mut pa, mut evicted) = (None, None);
        if let Some(Pte::Page { base, size }) = reads.last().and_then(|r| r.found) {
            pa = Some(base + (va & (size - 1)));
            let entry = TlbEntry { page: va & !(size - 1), size, base, used: now };
            if tlb.len() < problem.tlb {
                tlb.push(entry);
            } else {
                let lru = (0..tlb.len()).min_by_key(|&i| tlb[i].used).expect("tlb ≥ 1");
                evicted = Some((tlb[lru].page, tlb[lru].size));
                tlb[lru] = entry;
            }
        }
        outcomes.push(Outcome::Walked { reads, pa, evicted });
    }
    outcomes
}

fn hex(x: u64) -> String {
    let digits = format!("{x:x}");
    // Groups of four from the right, as the input may write them: 0x7f3a_0000_1234.
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 4 == 0 {
            grouped.push('_');
        }
        grouped.push(c);
    }
    format!("0x{grouped}")
}

fn size_name(size: u64) -> &'static str {
    if size == HUGE { "2 MiB" } else { "4 KiB" }
}

fn pte_text(found: Option<Pte>, level: usize) -> String {
    match found {
        None => "not present: page fault".to_string(),
        Some(Pte::Table(next)) => format!("present, {} at {}", LEVELS[level + 1], hex(next)),
        Some(Pte::Page { base, size }) => format!("present, {} page at {}", size_name(size), hex(base)),
    }
}

fn parse_hex(word: &str, line: usize) -> Result<u64, InputError> {
    let digits = word.strip_prefix("0x").or_else(|| word.strip_prefix("0X")).unwrap_or(word).replace('_', "");
    if digits.is_empty() || digits.len() > 16 {
        return Err(InputError::at_line(line, format!("`{word}` is not a 64-bit hex address")));
    }
    u64::from_str_radix(&digits, 16)
        .map_err(|_| InputError::at_line(line, format!("`{word}` is not a hex address")))
}

fn parse_mapping(entry: &Entry<'_>, size: u64) -> Result<(u64, u64, u64), InputError> {
    let line = entry.line;
    let (va, pa) = entry
        .value
        .split_once("->")
        .ok_or_else(|| InputError::at_line(line, format!("expected `{} = VA -> PA`", entry.key)))?;
    let (va, pa) = (parse_hex(va.trim(), line)?, parse_hex(pa.trim(), line)?);
    if !canonical(va) {
        return Err(InputError::at_line(
            line,
            format!("{} is not canonical (bits 63–48 must copy bit 47)", hex(va)),
        ));
    }
    if va % size != 0 || pa % size != 0 {
        return Err(InputError::at_line(
            line,
            format!("a {} page needs both addresses aligned to {}", size_name(size), hex(size)),
        ));
    }
    if pa >= 1 << 52 {
        return Err(InputError::at_line(line, "physical addresses have at most 52 bits on x86-64"));
    }
    Ok((va, pa, size))
}

pub fn parse(params: &Params<'_>) -> Result<Problem, InputError> {
    let mut tables = PageTables::new();
    let mut mappings = Vec::new();
    let mut entries: Vec<(&Entry<'_>, u64)> =
        params.all("page").map(|e| (e, SMALL)).chain(params.all("huge").map(|e| (e, HUGE))).collect();
    entries.sort_by_key(|(e, _)| e.line);
    for (entry, size) in entries {
        if mappings.len() == MAX_MAPPINGS {
            return Err(InputError::at_line(entry.line, format!("at most {MAX_MAPPINGS} mappings")));
        }
        let (va, pa, size) = parse_mapping(entry, size)?;
        tables
            .map(va, pa, size)
            .map_err(|why| InputError::at_line(entry.line, format!("{}: {why}", hex(va))))?;
        mappings.push((va, pa, size));
    }
    let tlb = params.number_or("tlb", 1, MAX_TLB, 4)?;
    let mut accesses = Vec::new();
    for entry in params.all("access") {
        for word in entry.value.split_whitespace() {
            if accesses.len() == MAX_ACCESSES {
                return Err(InputError::at_line(entry.line, format!("at most {MAX_ACCESSES} accesses")));
            }
            accesses.push(parse_hex(word, entry.line)?);
        }
    }
    if accesses.is_empty() {
        return Err(InputError::new("no accesses: add a line such as `access = 0x7f3a_0000_1234`"));
    }
    Ok(Problem { tables, mappings, tlb, accesses })
}

pub fn report(problem: &Problem, outcomes: &[Outcome]) -> String {
    let mut out = String::new();
    let levels = problem.tables.tables.iter().fold([0usize; 4], |mut n, &(_, level)| {
        n[level] += 1;
        n
    });
    let _ = writeln!(
        out,
        "page tables: {} PML4 (CR3 = {}), {} PDPT, {} PD, {} PT; TLB: {} entries, LRU",
        levels[0],
        hex(problem.tables.root()),
        levels[1],
        levels[2],
        levels[3],
        problem.tlb
    );
    let (mut hits, mut misses, mut faults, mut reads_total, mut gp) = (0, 0, 0, 0, 0);
    for (i, (&va, outcome)) in problem.accesses.iter().zip(outcomes).enumerate() {
        let _ = writeln!(out, "\naccess {}: {}", i + 1, hex(va));
        if let Outcome::NotCanonical = outcome {
            gp += 1;
            let _ = writeln!(
                out,
                "  not canonical (bits 63–48 do not all copy bit 47): a general-protection fault, no walk"
            );
            continue;
        }
        let (indices, offset) = split(va);
        let _ = writeln!(
            out,
            "  split: PML4 {} | PDPT {} | PD {} | PT {} | offset {}",
            indices[0],
            indices[1],
            indices[2],
            indices[3],
            hex(offset)
        );
        match outcome {
            Outcome::Hit { pa, size } => {
                hits += 1;
                let _ = writeln!(out, "  TLB hit ({} entry): physical {}", size_name(*size), hex(*pa));
            }
            Outcome::Walked { reads, pa, evicted } => {
                misses += 1;
                reads_total += reads.len();
                let _ = writeln!(out, "  TLB miss: walk from CR3");
                for read in reads {
                    let _ = writeln!(
                        out,
                        "  read {}[{}] at {}: {}",
                        LEVELS[read.level],
                        read.index,
                        hex(read.table + 8 * read.index as u64),
                        pte_text(read.found, read.level)
                    );
                }
                match (pa, reads.last().and_then(|r| r.found)) {
                    (Some(pa), Some(Pte::Page { size, .. })) => {
                        let why = if size == HUGE { " (offset: the low 21 bits)" } else { "" };
                        let gone = match evicted {
                            Some((page, size)) => {
                                format!("evicts the {} entry for {}", size_name(*size), hex(*page))
                            }
                            None => "a free entry".to_string(),
                        };
                        let _ = writeln!(out, "  physical {}{why}; TLB filled: {gone}", hex(*pa));
                    }
                    _ => {
                        faults += 1;
                        let _ = writeln!(
                            out,
                            "  page fault: the kernel maps a page and the access retries, or the process gets SIGSEGV"
                        );
                    }
                }
            }
            Outcome::NotCanonical => unreachable!(),
        }
    }
    let _ = writeln!(
        out,
        "\n{} accesses: {hits} TLB hits, {misses} misses ({faults} page faults), {gp} not canonical; {reads_total} page-table reads",
        problem.accesses.len()
    );
    let _ = writeln!(
        out,
        "TLB reach: {} entries × 4 KiB = {} KiB, or × 2 MiB = {} MiB",
        problem.tlb,
        problem.tlb * 4,
        problem.tlb * 2
    );
    out
}

/// A sequence diagram: the CPU asks the TLB; a miss goes down the levels, each read one arrow.
pub fn draw(problem: &Problem, outcomes: &[Outcome]) -> Figure {
    let parties: Vec<String> =
        ["CPU", "TLB", "PML4", "PDPT", "PD", "PT"].iter().map(|s| s.to_string()).collect();
    let mut messages = Vec::new();
    let mut notes = Vec::new();
    let mut t = 0.0;
    let mut send = |messages: &mut Vec<Message>, from: usize, to: usize, label: String| {
        messages.push(Message { from, to, sent: t, arrived: Some(t + 1.0), label });
        t += 1.0;
    };
    for (&va, outcome) in problem.accesses.iter().zip(outcomes) {
        send(&mut messages, 0, 1, format!("VA {}", hex(va)));
        match outcome {
            Outcome::NotCanonical => {
                let at = messages.last().expect("sent").arrived.expect("arrives");
                notes.push(Note { party: 1, at, text: "not canonical: #GP".into() });
            }
            Outcome::Hit { pa, .. } => send(&mut messages, 1, 0, format!("hit: PA {}", hex(*pa))),
            Outcome::Walked { reads, pa, .. } => {
                let mut at = 1;
                for (k, read) in reads.iter().enumerate() {
                    let label =
                        if k == 0 { format!("miss: [{}]", read.index) } else { format!("[{}]", read.index) };
                    send(&mut messages, at, 2 + read.level, label);
                    at = 2 + read.level;
                }
                match pa {
                    Some(pa) => send(&mut messages, at, 0, format!("PA {}, TLB filled", hex(*pa))),
                    None => {
                        let when = messages.last().expect("sent").arrived.expect("arrives");
                        notes.push(Note { party: at, at: when, text: "not present".into() });
                        send(&mut messages, at, 0, "page fault".into());
                    }
                }
            }
        }
    }
    let steps = Step::per_event(&parties, &messages, &notes, "steps");
    Figure::Sequence {
        title: "Address translation".into(),
        unit: "steps".into(),
        parties,
        messages,
        notes,
        steps,
    }
}

const KEYS: &[&str] = &["page", "huge", "tlb", "access"];

fn run(input: &str) -> Result<Drawn, InputError> {
    let params = Params::parse(input, KEYS)?;
    let problem = parse(&params)?;
    let outcomes = simulate(&problem);
    Ok(Drawn { text: report(&problem, &outcomes), figure: draw(&problem, &outcomes) })
}

/// Three 4 KiB pages near each other (two share a PT), one 2 MiB page, a TLB of 2 or 3, and
/// eight accesses, mostly to mapped pages.
pub fn generate(seed: u64) -> String {
    let mut rng = Rng::new(seed);
    let base = rng.range(0x10, 0x7ff) << 36; // a 64 GiB-aligned spot in the lower half
    let pages = [
        base + (rng.range(0, 7) << 12),
        base + (rng.range(8, 15) << 12),
        base + (rng.range(1, 3) << 21) + (rng.range(0, 511) << 12),
    ];
    let huge = base + (rng.range(4, 7) << 21);
    let mut input = String::new();
    for (i, &page) in pages.iter().enumerate() {
        let _ =
            writeln!(input, "page = {} -> {}", hex(page), hex((0x40 + 3 * i as u64 + rng.range(0, 2)) << 12));
    }
    let _ = writeln!(input, "huge = {} -> {}", hex(huge), hex(rng.range(1, 8) << 30));
    let _ = writeln!(input, "tlb = {}", rng.range(2, 3));
    for _ in 0..8 {
        let va = match rng.range(0, 9) {
            0..=6 => pages[rng.range(0, 2) as usize] + rng.range(0, 0xfff),
            7 | 8 => huge + rng.range(0, HUGE - 1),
            _ => base + (rng.range(16, 31) << 12),
        };
        let _ = writeln!(input, "access = {}", hex(va));
    }
    input
}

fn run_predict(input: &str) -> Result<String, InputError> {
    let params = Params::parse(input, &["seed"])?;
    let seed = params.number_or("seed", 0, u64::MAX, 1)?;
    let generated = generate(seed);
    let problem = parse(&Params::parse(&generated, KEYS)?)?;
    let outcomes = simulate(&problem);
    let mut out = format!(
        "Predict, then reveal (seed {seed}). The problem, as input for the translate example:\n\n{generated}\n\
         Before you look: what are the four indices and the offset of the first access? Which\n\
         accesses hit the TLB? How many page-table entries are read in all, and does any access fault?\n"
    );
    out.push_str(REVEAL_MARKER);
    out.push('\n');
    out.push_str(&report(&problem, &outcomes));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_takes_nine_bits_per_level_and_twelve_for_the_offset() {
        // 0x7f3a_0000_1234 = 0b0111_1111_0011_1010 (bits 47–32) then 0x0000_1234.
        // Bits 47–39: 0_1111_1110 = 254; bits 38–30: 0_1110_1000 = 0x0e8 = 232;
        // bits 29–21: 0; bits 20–12: 1; bits 11–0: 0x234.
        assert_eq!(split(0x7f3a_0000_1234), ([254, 232, 0, 1], 0x234));
        // The highest user address: bit 47 is clear, so the PML4 index is 255 (entries 256–511
        // map the kernel's half); every lower index is 511, the offset 0xfff.
        assert_eq!(split(0x7fff_ffff_ffff), ([255, 511, 511, 511], 0xfff));
        assert_eq!(split(0xffff_ffff_ffff_ffff), ([511, 511, 511, 511], 0xfff));
        assert!(canonical(0x7fff_ffff_ffff) && canonical(0xffff_8000_0000_0000));
        assert!(!canonical(0x8000_0000_0000) && !canonical(0x0001_0000_0000_0000));
    }

    #[test]
    fn default_input_walks_hits_evicts_and_faults_as_computed_by_hand() {
        let problem = parse(&Params::parse(DEFAULT_INPUT, KEYS).unwrap()).unwrap();
        let outcomes = simulate(&problem);
        // Tables: PML4, one PDPT, one PD, and a PT for each of the 2 MiB regions 0 and 2 (the
        // 2 MiB page at region 3 is a PD entry): 5 tables.
        assert_eq!(problem.tables.tables.len(), 5);
        // By hand, TLB of 2, LRU:
        // 1 ..1234: miss, 4 reads, TLB {1000}; 2 ..1ff0: same page, hit; 3 ..2010: miss, 4
        // reads, TLB {1000, 2000}; 4 ..405008: miss, 4 reads, evicts 1000 (used at 2, 2000 at 3);
        // 5 ..1000: miss, 4 reads, evicts 2000; 6 ..612345: miss, 3 reads (2 MiB), evicts
        // 405000; 7 ..7f0000: same 2 MiB page, hit; 8 ..3000: miss, PT[3] not present, 4 reads,
        // a fault; 9: not canonical.
        let kinds: Vec<String> = outcomes
            .iter()
            .map(|o| match o {
                Outcome::NotCanonical => "gp".to_string(),
                Outcome::Hit { .. } => "hit".to_string(),
                Outcome::Walked { reads, pa: Some(_), .. } => format!("walk{}", reads.len()),
                Outcome::Walked { reads, pa: None, .. } => format!("fault{}", reads.len()),
            })
            .collect();
        assert_eq!(kinds, ["walk4", "hit", "walk4", "walk4", "walk4", "walk3", "hit", "fault4", "gp"]);
        assert_eq!(
            outcomes[5],
            Outcome::Walked {
                reads: problem.tables.walk(0x7f3a_0061_2345),
                pa: Some(0x4001_2345),
                evicted: Some((0x7f3a_0040_5000, SMALL)),
            }
        );
        let text = report(&problem, &outcomes);
        assert!(text.contains(
            "9 accesses: 2 TLB hits, 6 misses (1 page faults), 1 not canonical; 23 page-table reads"
        ));
        draw(&problem, &outcomes).validate().unwrap();
    }

    #[test]
    fn overlapping_or_misaligned_mappings_are_refused_with_their_line() {
        let err = run("huge = 0x200000 -> 0x200000\npage = 0x201000 -> 0x5000\naccess = 0x0\n").unwrap_err();
        assert_eq!(err.line, Some(2));
        assert!(err.message.contains("inside a 2 MiB page"), "{err}");
        let err = run("page = 0x1000 -> 0x5000\nhuge = 0x0 -> 0x200000\naccess = 0\n").unwrap_err();
        assert_eq!(err.line, Some(2));
        assert_eq!(run("page = 0x1234 -> 0x5000\naccess = 0\n").unwrap_err().line, Some(1));
        assert_eq!(run("page = 0x1000 -> 0x5000\naccess = 0xzz\n").unwrap_err().line, Some(2));
    }

    #[test]
    fn generated_problems_parse_and_hide_the_answer() {
        for seed in 0..100 {
            let text = run_predict(&format!("seed = {seed}")).unwrap();
            assert!(text.contains(&format!("\n{REVEAL_MARKER}\n")), "{text}");
        }
    }
}
