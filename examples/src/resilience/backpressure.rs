//! Backpressure with a real tokio channel: a producer offers 2 items per millisecond, a
//! consumer takes about 1 ms per item, so the offered load is twice what the consumer can do.
//! Each item carries the moment it was queued and how many items the consumer had finished by
//! then; the consumer notes, at dequeue, how many it finished while the item waited (its wait
//! in service times) and the queue length. With `mpsc::channel(8)` the producer's
//! `send().await` waits whenever eight items are queued, so no item waits more than 9 service
//! times and the producer is slowed to the consumer's pace. With `unbounded_channel` the queue
//! grows by about one item per millisecond and so does every item's wait; Little's law
//! (L = λW) ties the two. With `try_send` a full queue refuses at once: about half the offers
//! are shed, and what is accepted waits no longer than in the bounded case. Both run on one
//! thread, and both producer and consumer sleep on the same timer, so the ratio holds on a
//! loaded machine; only classes are compared, the milliseconds follow the measured marker.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use crate::input::no_input;
use crate::registry::{Example, InputError, MEASURED_MARKER, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "resilience::backpressure",
    title: "A bounded channel paces a fast producer; an unbounded one turns overload into waiting",
    file: file!(),
    default_input: "",
    input_help: "no input",
    runs: Runs::NativeOnly {
        reason: "it runs a real tokio runtime with a timer",
        simulation: Some("resilience::storm"),
    },
    run: Run::Text(run),
};

const ITEMS: u64 = 400;
const CAPACITY: usize = 8;
const WORK: Duration = Duration::from_millis(1);

/// What the consumer saw, and how far the consumer had got when the producer finished.
#[derive(Debug, Default)]
struct Seen {
    /// Per item: service times waited (items finished while it was queued), and milliseconds.
    waits: Vec<(u64, f64)>,
    /// The queue length at each dequeue (offered so far − finished so far).
    queued: Vec<u64>,
    consumed_when_producer_done: u64,
    accepted: u64,
}

impl Seen {
    fn mean_wait(&self) -> f64 {
        self.waits.iter().map(|w| w.0 as f64).sum::<f64>() / self.waits.len().max(1) as f64
    }
    fn max_wait(&self) -> u64 {
        self.waits.iter().map(|w| w.0).max().unwrap_or(0)
    }
    fn mean_queued(&self) -> f64 {
        self.queued.iter().sum::<u64>() as f64 / self.queued.len().max(1) as f64
    }
    fn mean_ms(&self) -> f64 {
        self.waits.iter().map(|w| w.1).sum::<f64>() / self.waits.len().max(1) as f64
    }
}

/// An item: when it was queued, and how many the consumer had finished by then.
type Item = (Instant, u64);

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Bounded,
    Unbounded,
    Shed,
}

// ANCHOR: bounded
/// The consumer: ~1 ms per item; it records each item's wait, in items finished meanwhile.
async fn consume(mut next: impl AsyncNext, finished: Rc<Cell<u64>>, sent: Rc<Cell<u64>>) -> Seen {
    let mut seen = Seen::default();
    while let Some((queued_at, finished_then)) = next.next().await {
        seen.waits.push((finished.get() - finished_then, queued_at.elapsed().as_secs_f64() * 1e3));
        seen.queued.push(sent.get() - finished.get());
        tokio::time::sleep(WORK).await; // the slow part
        finished.set(finished.get() + 1);
    }
    seen
}

/// The producer offers two items per millisecond: twice what the consumer can take.
async fn produce(mode: Mode) -> Seen {
    let (finished, sent) = (Rc::new(Cell::new(0u64)), Rc::new(Cell::new(0u64)));
    let accepted = Rc::new(RefCell::new(0u64));
    let (bounded_tx, unbounded_tx, consumer);
    if mode == Mode::Unbounded {
        let (tx, rx) = mpsc::unbounded_channel::<Item>();
        (bounded_tx, unbounded_tx) = (None, Some(tx));
        consumer = tokio::task::spawn_local(consume(Unbounded(rx), finished.clone(), sent.clone()));
    } else {
        let (tx, rx) = mpsc::channel::<Item>(CAPACITY);
        (bounded_tx, unbounded_tx) = (Some(tx), None);
        consumer = tokio::task::spawn_local(consume(Bounded(rx), finished.clone(), sent.clone()));
    }
    for item in 0..ITEMS {
        let message = (Instant::now(), finished.get());
        let accepted_now = match (&bounded_tx, &unbounded_tx, mode) {
            // waits while 8 are queued
            (Some(tx), _, Mode::Bounded) => tx.send(message).await.is_ok(),
            (Some(tx), _, _) => match tx.try_send(message) {
                Ok(()) => true,
                Err(mpsc::error::TrySendError::Full(_)) => false, // shed at once
                Err(mpsc::error::TrySendError::Closed(_)) => unreachable!("consumer alive"),
            },
            (_, Some(tx), _) => tx.send(message).is_ok(), // never waits
            _ => unreachable!(),
        };
        if accepted_now {
            *accepted.borrow_mut() += 1;
            sent.set(sent.get() + 1);
        }
        if item % 2 == 1 {
            tokio::time::sleep(WORK).await; // two offers per millisecond
        }
    }
    let consumed_when_producer_done = finished.get();
    drop((bounded_tx, unbounded_tx));
    let mut seen = consumer.await.expect("consumer");
    seen.consumed_when_producer_done = consumed_when_producer_done;
    seen.accepted = *accepted.borrow();
    seen
}
// ANCHOR_END: bounded

/// The two receivers behind one interface.
trait AsyncNext {
    async fn next(&mut self) -> Option<Item>;
}
struct Bounded(mpsc::Receiver<Item>);
struct Unbounded(mpsc::UnboundedReceiver<Item>);
impl AsyncNext for Bounded {
    async fn next(&mut self) -> Option<Item> {
        self.0.recv().await
    }
}
impl AsyncNext for Unbounded {
    async fn next(&mut self) -> Option<Item> {
        self.0.recv().await
    }
}

fn run(input: &str) -> Result<String, InputError> {
    no_input(input)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .map_err(|e| InputError::new(e.to_string()))?;
    let local = tokio::task::LocalSet::new();
    let (bounded, unbounded, shed) = local.block_on(&runtime, async {
        (produce(Mode::Bounded).await, produce(Mode::Unbounded).await, produce(Mode::Shed).await)
    });
    let yes = crate::yes;
    let limit = CAPACITY as u64 + 1;
    let mut out = format!(
        "{ITEMS} items offered at 2 per ms to a consumer that takes ~1 ms each (twice its capacity).\n\
         An item's wait is counted in service times: how many items the consumer finished while it was queued.\n\n"
    );
    out.push_str(&format!("bounded channel (capacity {CAPACITY}), producer awaits send():\n"));
    out.push_str(&format!(
        "  no item waited more than capacity + 1 = {limit} service times: {}\n",
        yes(bounded.max_wait() <= limit)
    ));
    out.push_str(&format!(
        "  the producer was slowed to the consumer's pace (when its last send returned, the consumer had \
         finished at least {}): {}\n",
        ITEMS - limit,
        yes(bounded.consumed_when_producer_done >= ITEMS - limit)
    ));
    out.push_str("unbounded channel, producer never waits:\n");
    out.push_str(&format!(
        "  when its last send returned, the consumer had finished about half (30–70%): {}\n",
        yes((ITEMS * 3 / 10..=ITEMS * 7 / 10).contains(&unbounded.consumed_when_producer_done))
    ));
    out.push_str(&format!(
        "  the last items waited {} service times or more (the queue grew ~1 item per ms): {}\n",
        ITEMS / 4,
        yes(unbounded.max_wait() >= ITEMS / 4)
    ));
    out.push_str(&format!(
        "  mean wait at least 5x the bounded channel's: {}\n",
        yes(unbounded.mean_wait() >= 5.0 * bounded.mean_wait().max(1.0))
    ));
    let little = |s: &Seen| (s.mean_queued() - s.mean_wait()).abs() <= 0.25 * s.mean_wait().max(4.0);
    out.push_str(&format!(
        "  Little's law, L = λW with λ = 1 item per service time: mean queue length within 25% of mean wait \
         (both channels): {}\n",
        yes(little(&unbounded) && little(&bounded))
    ));
    out.push_str(&format!("try_send into capacity {CAPACITY}, producer never waits:\n"));
    let share = shed.accepted as f64 / ITEMS as f64;
    out.push_str(&format!(
        "  accepted about half the offers (40–60%; 1 − μ/λ = 50% shed): {}\n",
        yes((0.4..=0.6).contains(&share))
    ));
    out.push_str(&format!(
        "  no accepted item waited more than {limit} service times: {}\n",
        yes(shed.max_wait() <= limit)
    ));
    out.push_str(&format!("{MEASURED_MARKER}\n"));
    for (name, s) in [("bounded", &bounded), ("unbounded", &unbounded), ("try_send", &shed)] {
        out.push_str(&format!(
            "{name:>9}: accepted {} of {ITEMS}, wait mean {:.1} / max {} service times, mean {:.1} ms; \
             mean queue {:.1}\n",
            s.accepted,
            s.mean_wait(),
            s.max_wait(),
            s.mean_ms(),
            s.mean_queued()
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_classes_hold() {
        let out = super::run("").unwrap();
        println!("{out}");
        let verified = out.split(crate::registry::MEASURED_MARKER).next().unwrap();
        assert!(!verified.contains(": no"), "{out}");
    }
}
