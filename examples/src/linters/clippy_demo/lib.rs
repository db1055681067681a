//! The linters chapter's clippy demo: a tiny library with one mistake per lint group. It is not a
//! module of the `examples` crate: `examples/tests/clippy_findings.rs` copies it into a crate of
//! its own in a temporary directory, runs the real `cargo clippy` there and compares what clippy
//! reports with `examples/data/clippy-findings.txt`.
// ANCHOR: demo
use std::collections::HashMap;

/// correctness (deny by default): a value compared with itself.
pub fn is_valid_price(cents: f64) -> bool {
    cents == cents
}

/// style: `&String` where `&str` accepts more callers, and `len() == 0`.
pub fn is_blank(name: &String) -> bool {
    name.trim().len() == 0
}

/// style: a range loop that only indexes the slice.
pub fn total(cents: &[u64]) -> u64 {
    let mut sum = 0;
    for i in 0..cents.len() {
        sum += cents[i];
    }
    sum
}

/// complexity: a boolean compared with `true`.
pub fn needs_review(flagged: bool, cents: u64) -> bool {
    flagged == true || cents > 100_000
}

/// perf: `expect(&format!(..))` formats the message even when the value is there.
pub fn price_of(prices: &HashMap<String, u64>, sku: &str) -> u64 {
    *prices.get(sku).expect(&format!("no price for {sku}"))
}

/// suspicious: `=-` where `-=` was meant: this stores minus one.
pub fn decrement(stock: &mut i64) {
    *stock =- 1;
}

/// pedantic (off by default): a lossless cast written with `as`.
pub fn widen(count: u32) -> u64 {
    count as u64
}

/// `#[expect]`: silence a lint with a reason, and hear about it when the reason is gone.
#[expect(clippy::needless_return, reason = "kept to show a fulfilled expectation")]
pub fn answer() -> u32 {
    return 42;
}

#[expect(clippy::len_zero, reason = "this function no longer calls len()")]
pub fn is_empty_list(items: &[u64]) -> bool {
    items.is_empty()
}
// ANCHOR_END: demo
