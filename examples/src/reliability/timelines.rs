//! Load parameters: the home-timeline problem as Kleppmann tells it in *Designing Data-Intensive
//! Applications*, chapter 1, from Raffi Krikorian's talk "Timelines at Scale" (QCon San
//! Francisco 2012). The same traffic costs very different work depending on whether a tweet is
//! copied into every follower's timeline when written or gathered when a timeline is read.

use std::fmt::Write as _;

use crate::input::Params;
use crate::registry::{Example, InputError, Run, Runs};
use crate::thousands;

pub const EXAMPLE: Example = Example {
    id: "reliability::timelines",
    title: "Load parameters: fan-out on write against fan-out on read",
    file: file!(),
    default_input: DEFAULT_INPUT,
    input_help: "`tweets`, `peak_tweets`, `reads` (per second), `followers` (mean per tweet), `celebrity` \
                 (followers of the largest account), `followees` (accounts one timeline read gathers), `fanout_rate` (timeline inserts/s the fan-out can do), \
                 `celebrities_followed` (mean per reader, for the hybrid)",
    runs: Runs::Everywhere,
    run: Run::Text(run),
};

const DEFAULT_INPUT: &str = "\
# Twitter, November 2012, as DDIA chapter 1 reports Krikorian's talk
tweets = 4600
peak_tweets = 12000
reads = 300000
# a tweet is delivered to 75 followers on average
followers = 75
celebrity = 30000000
# assumptions of this example, not from the talk:
# accounts whose tweets one timeline read gathers (DDIA's 75 is per tweet; reused here)
followees = 75
fanout_rate = 1000000
celebrities_followed = 3
";

fn run(input: &str) -> Result<String, InputError> {
    let keys = [
        "tweets",
        "peak_tweets",
        "reads",
        "followers",
        "celebrity",
        "followees",
        "fanout_rate",
        "celebrities_followed",
    ];
    let p = Params::parse(input, &keys)?;
    let max = 1_000_000_000u64;
    let tweets = p.number_or("tweets", 1u64, max, 4600)?;
    let peak = p.number_or("peak_tweets", 1u64, max, 12_000)?;
    let reads = p.number_or("reads", 1u64, max, 300_000)?;
    let followers = p.number_or("followers", 1u64, 100_000, 75)?;
    let celebrity = p.number_or("celebrity", 1u64, max, 30_000_000)?;
    let followees = p.number_or("followees", 1u64, 100_000, 75)?;
    let rate = p.number_or("fanout_rate", 1u64, max, 1_000_000)?;
    let celebs = p.number_or("celebrities_followed", 0u64, 1000, 3)?;

    // ANCHOR: costs
    // `followers` is per tweet (the talk's figure); `followees` per timeline read is this
    // example's assumption: the two means need not agree, since active posters and active
    // readers are different accounts.
    let on_read = reads * followees; // each timeline read gathers that many accounts' tweets
    let on_write = tweets * followers; // each tweet is inserted into that many timelines
    let on_write_peak = peak * followers;
    let celebrity_seconds = celebrity as f64 / rate as f64; // one tweet, every follower's timeline
    // Hybrid: fan out on write, except for celebrities, whose tweets are merged in at read time.
    let hybrid_read = reads * celebs;
    // ANCHOR_END: costs

    let mut out = String::new();
    let _ = writeln!(
        out,
        "load parameters: {} tweets/s ({} at peak), {} timeline reads/s, {followers} followers per tweet on average;\n  \
         assumed: {followees} accounts gathered per timeline read\n",
        thousands(tweets),
        thousands(peak),
        thousands(reads)
    );
    let _ = writeln!(out, "fan-out on read  (query the followees' tweets and merge at read time):");
    let _ = writeln!(out, "  {:>13} tweet lookups/s, merged on the read path", thousands(on_read));
    let _ = writeln!(out, "fan-out on write (insert each new tweet into every follower's cached timeline):");
    let _ = writeln!(
        out,
        "  {:>13} timeline inserts/s on average, {} at peak",
        thousands(on_write),
        thousands(on_write_peak)
    );
    let _ = writeln!(out, "  {:>13} timeline reads/s, each one cache lookup", thousands(reads));
    let _ = writeln!(
        out,
        "  one tweet by an account with {} followers: {} inserts, {celebrity_seconds:.0} s of the whole fan-out's capacity at {}/s",
        thousands(celebrity),
        thousands(celebrity),
        thousands(rate)
    );
    let _ = writeln!(out, "hybrid (on write, but celebrities merged at read time):");
    let _ = writeln!(
        out,
        "  {:>13} inserts/s for ordinary accounts, plus {} celebrity lookups/s at read time",
        thousands(on_write),
        thousands(hybrid_read)
    );
    let _ = writeln!(
        out,
        "\nreads outnumber tweets {}:1, so moving work to the write path pays, except where one write fans out to millions.",
        reads / tweets.max(1)
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_book_numbers_come_out() {
        let out = run(EXAMPLE.default_input).unwrap();
        assert!(out.contains("345,000 timeline inserts/s"), "{out}");
        assert!(out.contains("22,500,000 tweet lookups/s"), "{out}");
        assert_eq!(run("\nfollowers = 0\n").unwrap_err().line, Some(2));
    }
}
