//! A simulation's future: events due at integer times (milliseconds, ticks), taken earliest
//! first, and at one instant in the order they were scheduled, so that a seeded run is the same
//! run every time. A plain list with a linear search: simulations here hold a few dozen pending
//! events, where that beats a heap and keeps the tie rule obvious.

/// Events of type `E` waiting for their time.
#[derive(Debug, Clone)]
pub struct Schedule<E> {
    pending: Vec<(u64, u64, E)>,
    scheduled: u64,
}

impl<E> Default for Schedule<E> {
    fn default() -> Self {
        Schedule { pending: Vec::new(), scheduled: 0 }
    }
}

impl<E> Schedule<E> {
    pub fn new() -> Self {
        Self::default()
    }

    /// `event` is due at time `t`.
    pub fn at(&mut self, t: u64, event: E) {
        self.scheduled += 1;
        self.pending.push((t, self.scheduled, event));
    }

    /// The earliest pending event and its time; among events due at once, the first scheduled.
    pub fn pop(&mut self) -> Option<(u64, E)> {
        let i = (0..self.pending.len()).min_by_key(|&i| (self.pending[i].0, self.pending[i].1))?;
        let (t, _, event) = self.pending.remove(i);
        Some((t, event))
    }

    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn earliest_first_and_ties_in_scheduling_order() {
        let mut schedule = Schedule::new();
        schedule.at(20, "late");
        schedule.at(5, "first at 5");
        schedule.at(5, "second at 5");
        schedule.at(0, "now");
        let order: Vec<_> = std::iter::from_fn(|| schedule.pop()).collect();
        assert_eq!(order, [(0, "now"), (5, "first at 5"), (5, "second at 5"), (20, "late")]);
        assert!(schedule.is_empty());
    }
}
