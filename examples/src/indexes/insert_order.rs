//! Why random UUIDs hurt a B-tree and time-ordered ones do not: the same number of keys
//! inserted into the book's B+tree in three orders, counting what each costs.
//!
//! * `sequential`: a `bigserial`/identity column, every key larger than the last;
//! * `uuidv7`: RFC 9562's UUIDv7, a 48-bit Unix millisecond timestamp first and random bits
//!   after it, so keys of one millisecond land in random order but near the right edge (a
//!   generator with a monotonic counter within the millisecond makes them sequential);
//! * `uuidv4`: 122 random bits, so every insert lands anywhere in the index.
//!
//! For each order it reports leaf splits, how full the leaves end up, the misses of an LRU
//! buffer cache in front of the pages (each insert reads root to leaf), and how many full-page
//! images PostgreSQL's write-ahead log would take: the first change to a page after a
//! checkpoint logs the whole 8 kB page (`full_page_writes`, on by default).

use std::fmt::Write as _;

use super::btree::{BTree, PageId, percent};
use crate::input::Params;
use crate::registry::{Example, InputError, Run, Runs};
use crate::rng::Rng;
use crate::thousands;

pub const EXAMPLE: Example = Example {
    id: "indexes::insert_order",
    title: "Sequential, UUIDv7 and UUIDv4 keys into the same B+tree: splits, fill, cache misses, WAL page images",
    file: file!(),
    default_input: DEFAULT_INPUT,
    input_help: "`keys = N` (at most 200,000), `capacity = N` keys per page (4–500), `fillfactor = P` (50–100), \
                 `cache = N` pages, `checkpoint = N` inserts, `per_ms = N` UUIDv7 keys per millisecond, \
                 `orders = sequential uuidv7 uuidv4`, `seed = N`",
    runs: Runs::Everywhere,
    run: Run::Text(run),
};

const DEFAULT_INPUT: &str = "\
keys = 30000
# Keys per page: 8 kB holds about 290 UUID entries (16-byte key, 8-byte tuple header, 4-byte line pointer).
capacity = 100
fillfactor = 90
# An LRU buffer cache of this many pages in front of the index.
cache = 50
# A checkpoint every so many inserts: the next change to each page logs a full-page image.
checkpoint = 3000
# UUIDv7 keys generated within one millisecond (random order inside it).
per_ms = 16
orders = sequential uuidv7 uuidv4
seed = 1
";

pub const MAX_KEYS: u64 = 200_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Sequential,
    UuidV7,
    UuidV4,
}

impl Order {
    fn name(self) -> &'static str {
        match self {
            Order::Sequential => "sequential",
            Order::UuidV7 => "uuidv7",
            Order::UuidV4 => "uuidv4",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setup {
    pub keys: u64,
    pub capacity: usize,
    pub fillfactor: usize,
    pub cache: usize,
    pub checkpoint: u64,
    pub per_ms: u64,
    pub orders: Vec<Order>,
    pub seed: u64,
}

/// The `i`-th key of `order`. Only the order of keys matters to the tree, so a UUID is its top
/// 64 bits: for v7, the milliseconds (40 bits are plenty for these runs) and 24 random bits, so
/// that even 1,000 keys in one millisecond rarely collide (a duplicate would be refused).
fn key(order: Order, i: u64, per_ms: u64, rng: &mut Rng) -> u64 {
    match order {
        Order::Sequential => i,
        Order::UuidV7 => ((i / per_ms) << 24) | (rng.next_u64() & 0xFF_FFFF),
        Order::UuidV4 => rng.next_u64(),
    }
}

/// A least-recently-used cache of page ids: `touch` says whether the page was already in it.
/// A doubly linked list through two arrays indexed by page id, most recent at the head, so each
/// touch is O(1).
struct Lru {
    capacity: usize,
    len: usize,
    cached: Vec<bool>,
    prev: Vec<usize>,
    next: Vec<usize>,
    head: usize,
    tail: usize,
}

const NONE: usize = usize::MAX;

impl Lru {
    fn new(capacity: usize) -> Self {
        Lru {
            capacity,
            len: 0,
            cached: Vec::new(),
            prev: Vec::new(),
            next: Vec::new(),
            head: NONE,
            tail: NONE,
        }
    }

    fn unlink(&mut self, page: PageId) {
        let (p, n) = (self.prev[page], self.next[page]);
        if p == NONE {
            self.head = n
        } else {
            self.next[p] = n
        }
        if n == NONE { self.tail = p } else { self.prev[n] = p }
    }

    fn push_front(&mut self, page: PageId) {
        self.prev[page] = NONE;
        self.next[page] = self.head;
        if self.head != NONE {
            self.prev[self.head] = page;
        }
        self.head = page;
        if self.tail == NONE {
            self.tail = page;
        }
    }

    fn touch(&mut self, page: PageId) -> bool {
        if self.cached.len() <= page {
            self.cached.resize(page + 1, false);
            self.prev.resize(page + 1, NONE);
            self.next.resize(page + 1, NONE);
        }
        if self.cached[page] {
            self.unlink(page);
            self.push_front(page);
            return true;
        }
        if self.len == self.capacity {
            let evicted = self.tail;
            self.unlink(evicted);
            self.cached[evicted] = false;
            self.len -= 1;
        }
        self.push_front(page);
        self.cached[page] = true;
        self.len += 1;
        false
    }
}

/// What one order cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cost {
    pub order: Order,
    pub leaf_splits: usize,
    pub leaves: usize,
    pub fill_per_mille: usize,
    pub height: usize,
    pub misses: u64,
    pub page_images: u64,
}

// ANCHOR: example
pub fn measure(setup: &Setup, order: Order) -> Cost {
    let mut rng = Rng::new(setup.seed);
    let mut tree = BTree::new(setup.capacity, setup.fillfactor);
    let mut cache = Lru::new(setup.cache);
    let mut misses = 0;
    // The checkpoint interval in which each page last had its full image logged.
    let mut imaged_in: Vec<Option<u64>> = Vec::new();
    let mut page_images = 0;
    for i in 0..setup.keys {
        let inserted = tree.insert(key(order, i, setup.per_ms, &mut rng));
        // Every insert reads root to leaf; each page not in the cache is a read from disk.
        for &page in &inserted.path {
            misses += u64::from(!cache.touch(page));
        }
        // The first change to a page after a checkpoint writes the whole page to the WAL
        // (pages a split creates are logged whole too).
        let interval = i / setup.checkpoint;
        for page in inserted.changed() {
            if imaged_in.len() <= page {
                imaged_in.resize(page + 1, None);
            }
            if imaged_in[page] != Some(interval) {
                imaged_in[page] = Some(interval);
                page_images += 1;
            }
            cache.touch(page); // a new page enters the cache, written, not read
        }
    }
    Cost {
        order,
        leaf_splits: tree.leaf_splits,
        leaves: tree.leaves().len(),
        fill_per_mille: tree.leaf_fill_per_mille(),
        height: tree.height,
        misses,
        page_images,
    }
}
// ANCHOR_END: example

/// `n` per 1,000 inserts with one decimal.
fn per_thousand(n: u64, inserts: u64) -> String {
    let tenths = (n * 10_000 + inserts / 2) / inserts;
    format!("{}.{}", tenths / 10, tenths % 10)
}

pub fn report(setup: &Setup) -> String {
    let mut out = format!(
        "{} inserts, at most {} keys per page, fillfactor {}, an LRU cache of {} pages, a checkpoint every {} inserts.\n\n",
        thousands(setup.keys),
        setup.capacity,
        setup.fillfactor,
        setup.cache,
        thousands(setup.checkpoint)
    );
    let _ = writeln!(out, "                          per 1,000 inserts");
    let _ =
        writeln!(out, "order       leaf splits  splits  misses  WAL page images  leaves  leaf fill  height");
    let costs: Vec<Cost> = setup.orders.iter().map(|&order| measure(setup, order)).collect();
    for cost in &costs {
        let _ = writeln!(
            out,
            "{:<10} {:>12}  {:>6}  {:>6}  {:>15}  {:>6}  {:>9}  {:>6}",
            cost.order.name(),
            thousands(cost.leaf_splits as u64),
            per_thousand(cost.leaf_splits as u64, setup.keys),
            per_thousand(cost.misses, setup.keys),
            per_thousand(cost.page_images, setup.keys),
            thousands(cost.leaves as u64),
            percent(cost.fill_per_mille),
            cost.height
        );
    }
    if let (Some(best), Some(worst)) =
        (costs.iter().min_by_key(|c| c.page_images), costs.iter().max_by_key(|c| c.page_images))
        && best.order != worst.order
    {
        let _ = writeln!(
            out,
            "\n{} writes {} times the WAL page images of {} and ends with {} times its leaf pages.",
            worst.order.name(),
            ratio(worst.page_images, best.page_images),
            best.order.name(),
            ratio(worst.leaves as u64, best.leaves as u64)
        );
    }
    out
}

/// `a / b` with one decimal.
fn ratio(a: u64, b: u64) -> String {
    let tenths = (a * 10 + b / 2) / b.max(1);
    format!("{}.{}", tenths / 10, tenths % 10)
}

const KEYS: &[&str] = &["keys", "capacity", "fillfactor", "cache", "checkpoint", "per_ms", "orders", "seed"];

pub fn parse(input: &str) -> Result<Setup, InputError> {
    let params = Params::parse(input, KEYS)?;
    let mut orders = Vec::new();
    match params.one("orders")? {
        None => orders = vec![Order::Sequential, Order::UuidV7, Order::UuidV4],
        Some(entry) => {
            for word in entry.value.split_whitespace() {
                let order = [Order::Sequential, Order::UuidV7, Order::UuidV4]
                    .into_iter()
                    .find(|o| o.name() == word)
                    .ok_or_else(|| {
                        InputError::at_line(
                            entry.line,
                            format!("`{word}` is not an order (expected `sequential`, `uuidv7` or `uuidv4`)"),
                        )
                    })?;
                if !orders.contains(&order) {
                    orders.push(order);
                }
            }
            if orders.is_empty() {
                return Err(InputError::at_line(entry.line, "name at least one order"));
            }
        }
    }
    Ok(Setup {
        keys: params.number_or("keys", 1, MAX_KEYS, 30_000)?,
        capacity: params.number_or("capacity", 4, 500, 100)?,
        fillfactor: params.number_or("fillfactor", 50, 100, 90)?,
        cache: params.number_or("cache", 1, 100_000, 50)?,
        checkpoint: params.number_or("checkpoint", 1, MAX_KEYS, 3_000)?,
        per_ms: params.number_or("per_ms", 1, 1_000_000, 16)?,
        orders,
        seed: params.number_or("seed", 0, u64::MAX, 1)?,
    })
}

fn run(input: &str) -> Result<String, InputError> {
    Ok(report(&parse(input)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn default_costs() -> Vec<Cost> {
        let setup = parse(DEFAULT_INPUT).unwrap();
        setup.orders.iter().map(|&o| measure(&setup, o)).collect()
    }

    #[test]
    fn random_keys_cost_more_than_ordered_ones() {
        let costs = default_costs();
        let [sequential, v7, v4] = [&costs[0], &costs[1], &costs[2]];
        // Ascending keys: every split is of the rightmost leaf, which keeps 90 of its 101 keys.
        // Split k happens at key 101 + 90 (k − 1) ≤ 30,000, so k ≤ 333; 334 leaves, the last
        // with 30,000 − 333 × 90 = 30 keys: 30,000 / 33,400 = 89.8% full.
        assert_eq!((sequential.leaf_splits, sequential.leaves), (333, 334));
        assert_eq!(sequential.fill_per_mille, 898);
        // Random keys: leaves end about ln 2 full (Yao 1978), so ~30% more pages.
        assert!((650..=730).contains(&v4.fill_per_mille), "{v4:?}");
        assert!(v4.leaves * 10 >= sequential.leaves * 12, "{v4:?} vs {sequential:?}");
        // Once the index outgrows the cache, almost every random insert reads a leaf from disk;
        // the ordered ones keep reading the same rightmost path.
        assert!(v4.misses * 10 > 30_000 * 5, "{v4:?}");
        assert!(sequential.misses < 100 && v7.misses < 1_000, "{sequential:?} {v7:?}");
        // After each checkpoint a random insert dirties a page not yet imaged; ordered ones
        // image each page about once.
        assert!(v4.page_images > 5 * v7.page_images, "{v4:?} {v7:?}");
        assert!(v7.page_images < 2 * sequential.page_images, "{v7:?} {sequential:?}");
    }

    #[test]
    fn the_lru_evicts_the_least_recently_used_page() {
        let mut lru = Lru::new(2);
        assert!(!lru.touch(1));
        assert!(!lru.touch(2));
        assert!(lru.touch(1)); // 2 is now the oldest
        assert!(!lru.touch(3)); // evicts 2
        assert!(lru.touch(1));
        assert!(!lru.touch(2));
    }

    #[test]
    fn the_report_and_bad_input() {
        let out = run(DEFAULT_INPUT).unwrap();
        assert!(out.contains("uuidv4 writes"), "{out}");
        assert_eq!(parse("orders = uuidv9").unwrap_err().line, Some(1));
        assert_eq!(parse("keys = 0").unwrap_err().line, Some(1));
    }
}
