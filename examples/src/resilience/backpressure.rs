//! Backpressure with a real bounded tokio channel: a fast producer, a consumer that takes about
//! 1 ms per item. With `mpsc::channel(8)` the producer's `send().await` waits whenever eight
//! items are queued, so it is never more than capacity + 1 items ahead of the consumer (eight
//! queued, one in the consumer's hands); with `unbounded_channel` nothing slows it and the
//! queue holds the whole input; with `try_send` the full queue rejects at once and the producer
//! sheds. Only classes and invariants are printed, never timings, so a loaded machine prints
//! the same.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::input::no_input;
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "resilience::backpressure",
    title: "A bounded channel paces a fast producer; an unbounded one does not",
    file: file!(),
    default_input: "",
    input_help: "no input",
    runs: Runs::NativeOnly {
        reason: "it runs a real tokio runtime with a timer",
        simulation: Some("resilience::storm"),
    },
    run: Run::Text(run),
};

const ITEMS: u64 = 1_000;
const CAPACITY: usize = 8;
const WORK: Duration = Duration::from_millis(1);

// ANCHOR: bounded
/// Sends `ITEMS` through a channel of `CAPACITY`; returns the largest number of items the
/// producer was ever ahead of the consumer, and how many the consumer had finished when the
/// producer's last send went through.
async fn bounded() -> (u64, u64) {
    let (tx, mut rx) = mpsc::channel::<u64>(CAPACITY);
    let consumed = Rc::new(Cell::new(0u64));
    let done = consumed.clone();
    let consumer = tokio::task::spawn_local(async move {
        while let Some(_item) = rx.recv().await {
            tokio::time::sleep(WORK).await; // the slow part: ~1 ms per item
            done.set(done.get() + 1);
        }
    });
    let mut max_ahead = 0;
    for (sent, item) in (1..=ITEMS).enumerate() {
        tx.send(item).await.expect("consumer alive"); // waits while 8 are queued
        max_ahead = max_ahead.max(sent as u64 + 1 - consumed.get());
    }
    let consumed_when_done = consumed.get();
    drop(tx);
    consumer.await.expect("consumer");
    (max_ahead, consumed_when_done)
}
// ANCHOR_END: bounded

async fn unbounded() -> (u64, u64) {
    let (tx, mut rx) = mpsc::unbounded_channel::<u64>();
    let consumed = Rc::new(Cell::new(0u64));
    let done = consumed.clone();
    let consumer = tokio::task::spawn_local(async move {
        while let Some(_item) = rx.recv().await {
            tokio::time::sleep(WORK).await;
            done.set(done.get() + 1);
        }
    });
    let mut max_queued = 0;
    for item in 1..=ITEMS {
        tx.send(item).expect("consumer alive"); // never waits
        max_queued = max_queued.max(item - consumed.get());
    }
    let consumed_when_done = consumed.get();
    drop(tx);
    consumer.await.expect("consumer");
    (max_queued, consumed_when_done)
}

// ANCHOR: shed
/// Ten bursts of 100 offers with `try_send`, each once the consumer has caught up: a full queue
/// answers `Full` at once, and the producer counts the item as shed instead of waiting.
async fn shedding() -> (u64, u64) {
    let (tx, mut rx) = mpsc::channel::<u64>(CAPACITY);
    let consumed = Rc::new(Cell::new(0u64));
    let done = consumed.clone();
    let consumer = tokio::task::spawn_local(async move {
        while let Some(_item) = rx.recv().await {
            tokio::time::sleep(WORK).await;
            done.set(done.get() + 1);
        }
    });
    let (mut accepted, mut shed) = (0, 0);
    for burst in 0..10 {
        while consumed.get() < accepted {
            tokio::time::sleep(WORK).await; // wait until the queue is empty again
        }
        for item in 0..100 {
            match tx.try_send(burst * 100 + item) {
                Ok(()) => accepted += 1,
                Err(mpsc::error::TrySendError::Full(_)) => shed += 1,
                Err(mpsc::error::TrySendError::Closed(_)) => unreachable!("consumer alive"),
            }
        }
    }
    drop(tx);
    consumer.await.expect("consumer");
    (accepted, shed)
}
// ANCHOR_END: shed

fn run(input: &str) -> Result<String, InputError> {
    no_input(input)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .map_err(|e| InputError::new(e.to_string()))?;
    let local = tokio::task::LocalSet::new();
    let ((ahead, consumed_at_end), (queued, unbounded_consumed), (accepted, shed)) =
        local.block_on(&runtime, async { (bounded().await, unbounded().await, shedding().await) });
    let mut out = format!("{ITEMS} items, a consumer that takes ~1 ms each\n\n");
    out.push_str(&format!("bounded channel (capacity {CAPACITY}), producer awaits send():\n"));
    out.push_str(&format!(
        "  producer never more than capacity + 1 = {} items ahead: {}\n",
        CAPACITY + 1,
        crate::yes(ahead <= CAPACITY as u64 + 1)
    ));
    out.push_str(&format!(
        "  when its last send returned, the consumer had finished at least {}: {}\n",
        ITEMS - CAPACITY as u64 - 1,
        crate::yes(consumed_at_end >= ITEMS - CAPACITY as u64 - 1)
    ));
    out.push_str("unbounded channel, producer never waits:\n");
    out.push_str(&format!("  the queue grew to hundreds of items or more: {}\n", crate::yes(queued >= 500)));
    out.push_str(&format!(
        "  when its last send returned, the consumer had finished fewer than 10: {}\n",
        crate::yes(unbounded_consumed < 10)
    ));
    out.push_str(&format!("try_send into capacity {CAPACITY}, 10 bursts of 100 offers:\n"));
    out.push_str(&format!("  accepted: {accepted}, shed at once (Full): {shed}\n"));
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_classes_hold() {
        let out = super::run("").unwrap();
        assert!(!out.contains(": no"), "{out}");
        assert!(out.contains("accepted: 80, shed at once (Full): 920"), "{out}");
    }
}
