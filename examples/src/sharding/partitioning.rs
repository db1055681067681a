//! Range partitioning against hash partitioning: where new rows go when keys increase, what a
//! range query touches, and what one hot key does to either scheme (and what salting it does).

use std::fmt::Write as _;

use super::hash::shard_of;
use crate::input::Params;
use crate::registry::{Example, InputError, Run, Runs};
use crate::rng::Rng;

pub const EXAMPLE: Example = Example {
    id: "sharding::partitioning",
    title: "Range against hash partitioning: increasing keys, range queries and a hot key",
    file: file!(),
    default_input: DEFAULT_INPUT,
    input_help: "`partitions = P`, `existing = N` (orders 1…N already stored), `inserts = N` (new orders), \
                 `range_query = FROM TO` (order ids), `writes = N`, `accounts = N`, `hot_share = 0…1` (share \
                 of writes to account:42), `salt = S` (sub-keys for the hot key), `seed = N`",
    runs: Runs::Everywhere,
    run: Run::Text(run),
};

const DEFAULT_INPUT: &str = "\
# Orders get increasing ids; ranges are split evenly over the orders that exist.
partitions = 4
existing = 100000
inserts = 20000
range_query = 40001 41000
# A second workload: writes to accounts, a quarter of them to one celebrity account.
writes = 20000
accounts = 10000
hot_share = 0.25
salt = 8
seed = 7
";

pub const MAX_PARTITIONS: u64 = 64;
pub const MAX_ROWS: u64 = 500_000;

// ANCHOR: example
/// Range partitioning: `bounds[i]` is the last id of partition `i`; the last partition is open
/// above, so ids beyond today's largest all land there.
pub fn range_partition(id: u64, bounds: &[u64]) -> usize {
    bounds.partition_point(|&last| last < id).min(bounds.len())
}

/// Even split of ids `1..=existing` into `partitions` ranges (the last one open-ended).
pub fn even_bounds(existing: u64, partitions: u64) -> Vec<u64> {
    (1..partitions).map(|i| i * existing / partitions).collect()
}

/// Hash partitioning of the same ids: the row key is `order:<id>`.
pub fn hash_partition(id: u64, partitions: u64) -> usize {
    shard_of(&format!("order:{id}"), partitions) as usize
}

/// The key a write to `account` uses: a hot account is split into `salt` sub-keys
/// (`account:42#0` … `#7`), so its writes spread, and its reads must visit every sub-key.
pub fn account_key(account: u64, hot: bool, salt: u64, rng: &mut Rng) -> String {
    if hot && salt > 1 {
        format!("account:{account}#{}", rng.range(0, salt - 1))
    } else {
        format!("account:{account}")
    }
}
// ANCHOR_END: example

const HOT_ACCOUNT: u64 = 42;

fn run(input: &str) -> Result<String, InputError> {
    let params = Params::parse(
        input,
        &[
            "partitions",
            "existing",
            "inserts",
            "range_query",
            "writes",
            "accounts",
            "hot_share",
            "salt",
            "seed",
        ],
    )?;
    let p: u64 = params.number_or("partitions", 2, MAX_PARTITIONS, 4)?;
    let existing: u64 = params.number_or("existing", p, MAX_ROWS, 100_000)?;
    let inserts: u64 = params.number_or("inserts", 1, MAX_ROWS, 20_000)?;
    let (from, to) = match params.one("range_query")? {
        Some(entry) => match entry.numbers::<u64>(1, 2 * MAX_ROWS)?.as_slice() {
            [from, to] if from <= to && to - from < 100_000 => (*from, *to),
            _ => {
                return Err(InputError::at_line(
                    entry.line,
                    "expected `range_query = FROM TO` with FROM <= TO, at most 100000 ids",
                ));
            }
        },
        None => (existing / 2 - existing / 20, existing / 2),
    };
    let writes: u64 = params.number_or("writes", 1, MAX_ROWS, 20_000)?;
    let accounts: u64 = params.number_or("accounts", 1, MAX_ROWS, 10_000)?;
    let hot_share: f64 = params.number_or("hot_share", 0.0, 1.0, 0.25)?;
    let salt: u64 = params.number_or("salt", 1, 64, 8)?;
    let seed: u64 = params.number_or("seed", 0, u64::MAX, 7)?;

    let bounds = even_bounds(existing, p);
    let mut stored = (vec![0u64; p as usize], vec![0u64; p as usize]);
    for id in 1..=existing {
        stored.0[range_partition(id, &bounds)] += 1;
        stored.1[hash_partition(id, p)] += 1;
    }
    let mut new = (vec![0u64; p as usize], vec![0u64; p as usize]);
    for id in existing + 1..=existing + inserts {
        new.0[range_partition(id, &bounds)] += 1;
        new.1[hash_partition(id, p)] += 1;
    }

    let mut out = format!(
        "{existing} orders with ids 1…{existing} exist; {inserts} new ones get ids {}…{}.\n\n",
        existing + 1,
        existing + inserts
    );
    out.push_str("            range partitioning                        hash partitioning\n");
    out.push_str("partition   ids                 stored  new orders    stored  new orders\n");
    for i in 0..p as usize {
        let low = if i == 0 { 1 } else { bounds[i - 1] + 1 };
        let ids = match bounds.get(i) {
            Some(high) => format!("{low}…{high}"),
            None => format!("{low}… (open)"),
        };
        let _ = writeln!(
            out,
            "p{i:<10} {ids:<18} {:>7} {:>11}   {:>7} {:>11}",
            stored.0[i], new.0[i], stored.1[i], new.1[i]
        );
    }
    let busiest = |counts: &[u64]| super::percent(*counts.iter().max().unwrap_or(&0) as f64, inserts as f64);
    let _ = writeln!(
        out,
        "busiest partition takes {} of new orders under ranges, {} under hashing\n",
        busiest(&new.0),
        busiest(&new.1)
    );

    let touched = |part: &dyn Fn(u64) -> usize| {
        let mut seen = vec![false; p as usize];
        (from..=to).for_each(|id| seen[part(id)] = true);
        seen.iter().filter(|s| **s).count()
    };
    let _ = writeln!(
        out,
        "range query `id BETWEEN {from} AND {to}` ({} ids): ranges visit {} of {p} partitions, hashing visits {}\n",
        to - from + 1,
        touched(&|id| range_partition(id, &bounds)),
        touched(&|id| hash_partition(id, p))
    );

    let _ = writeln!(
        out,
        "{writes} writes to {accounts} accounts, {:.0}% of them to account:{HOT_ACCOUNT} (hash partitioning):",
        100.0 * hot_share
    );
    out.push_str("partition   plain key   max/mean   salted x");
    let _ = writeln!(out, "{salt:<3} max/mean");
    let mut plain = vec![0u64; p as usize];
    let mut salted = vec![0u64; p as usize];
    let mut rng = Rng::new(seed);
    for _ in 0..writes {
        let hot = rng.chance(hot_share);
        let account = if hot { HOT_ACCOUNT } else { rng.range(1, accounts) };
        plain[shard_of(&account_key(account, false, 1, &mut rng), p) as usize] += 1;
        salted[shard_of(&account_key(account, hot, salt, &mut rng), p) as usize] += 1;
    }
    let mean = writes as f64 / p as f64;
    for i in 0..p as usize {
        let _ = writeln!(
            out,
            "p{i:<10} {:>9}   {:>8.2}   {:>9}   {:>8.2}",
            plain[i],
            plain[i] as f64 / mean,
            salted[i],
            salted[i] as f64 / mean
        );
    }
    let sub_partitions = {
        let mut seen = vec![false; p as usize];
        for s in 0..salt {
            let key = if salt > 1 {
                format!("account:{HOT_ACCOUNT}#{s}")
            } else {
                format!("account:{HOT_ACCOUNT}")
            };
            seen[shard_of(&key, p) as usize] = true;
        }
        seen.iter().filter(|s| **s).count()
    };
    let _ = writeln!(
        out,
        "salting spreads account:{HOT_ACCOUNT} over {sub_partitions} of {p} partitions; \
         reading its balance now takes {salt} key lookups instead of 1"
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_bounds_and_lookup() {
        let bounds = even_bounds(100, 4);
        assert_eq!(bounds, vec![25, 50, 75]);
        assert_eq!(range_partition(1, &bounds), 0);
        assert_eq!(range_partition(25, &bounds), 0);
        assert_eq!(range_partition(26, &bounds), 1);
        assert_eq!(range_partition(75, &bounds), 2);
        assert_eq!(range_partition(76, &bounds), 3);
        assert_eq!(range_partition(1_000_000, &bounds), 3);
    }

    #[test]
    fn increasing_keys_pile_onto_the_last_range_and_spread_under_hashing() {
        let out = run(DEFAULT_INPUT).unwrap();
        assert!(out.contains("busiest partition takes 100.0% of new orders under ranges"), "{out}");
        let hashed: Vec<usize> = {
            let mut counts = vec![0usize; 4];
            (100_001..=120_000).for_each(|id| counts[hash_partition(id, 4)] += 1);
            counts
        };
        assert!(hashed.iter().all(|&c| (4_500..5_500).contains(&c)), "{hashed:?}");
        assert!(out.contains("ranges visit 1 of 4 partitions, hashing visits 4"), "{out}");
    }

    #[test]
    fn a_hot_key_overloads_one_partition_and_salting_relieves_it() {
        let out = run(DEFAULT_INPUT).unwrap();
        let table: Vec<(f64, f64)> = out
            .lines()
            .skip_while(|l| !l.starts_with("partition   plain key"))
            .skip(1)
            .take(4)
            .map(|l| {
                let cols: Vec<&str> = l.split_whitespace().collect();
                (cols[2].parse().unwrap(), cols[4].parse().unwrap())
            })
            .collect();
        let plain_max = table.iter().map(|r| r.0).fold(0.0, f64::max);
        let salted_max = table.iter().map(|r| r.1).fold(0.0, f64::max);
        // A quarter of all writes plus its fair share of the rest: about 1.75 x the mean.
        assert!(plain_max > 1.6, "{out}");
        assert!(salted_max < plain_max - 0.3, "{out}");
    }

    #[test]
    fn bad_input_names_its_line() {
        assert_eq!(
            run("range_query = 10 5").unwrap_err().to_string(),
            "input line 1: expected `range_query = FROM TO` with FROM <= TO, at most 100000 ids"
        );
        assert_eq!(
            run("partitions = 1").unwrap_err().to_string(),
            "input line 1: 1 is out of range (from 2 to 64)"
        );
        assert_eq!(
            run("hot_share = 2").unwrap_err().to_string(),
            "input line 1: 2 is out of range (from 0 to 1)"
        );
    }
}
