//! InnoDB's gap locks on the real MariaDB 10.11: at repeatable read a locking read over a range
//! stops inserts into that range, and turns the booking race into a deadlock that leaves one
//! booking; at read committed it does not, and both bookings commit.
//!
//! `examples/tests/real_servers/` runs [`SCENARIOS`] and compares what the server did with
//! `examples/data/innodb-gap-locks.txt` (`cargo xtask bless` rewrites it); this example prints
//! that file.

use crate::real_servers::{Scenario, Server, print_observation};
use crate::registry::{Example, InputError, Run, Runs};

pub const EXAMPLE: Example = Example {
    id: "isolation::gap_locks",
    title: "Range locks and the booking race, on a real MariaDB 10.11",
    file: file!(),
    default_input: "",
    input_help: "No input: this prints what the real MariaDB did when the test last ran.",
    runs: Runs::NativeOnly {
        reason: "it needs a MariaDB server; the page shows what the server did when the test last ran",
        simulation: None,
    },
    run: Run::Text(run),
};

/// What `examples/tests/real_servers/` observed, as checked in.
pub const OBSERVED: &str = include_str!("../../data/innodb-gap-locks.txt");

fn run(input: &str) -> Result<String, InputError> {
    print_observation(OBSERVED, input)
}

// ANCHOR: example
/// Room 1 is booked at 9:00 and at 14:00, and nothing after; the locking reads lock ranges of
/// the index on (room, hour).
const BOOKINGS: &str = "CREATE TABLE bookings (
    id    INT AUTO_INCREMENT PRIMARY KEY,
    room  INT NOT NULL,
    hour  INT NOT NULL,
    guest VARCHAR(20) NOT NULL,
    INDEX by_room_hour (room, hour)
) ENGINE = InnoDB;
INSERT INTO bookings (room, hour, guest) VALUES (1, 9, 'carol'), (1, 14, 'dave');";
// ANCHOR_END: example

/// A locks the evening of room 1, 18:00 to 20:00, and finds it free; B inserts into it.
const RANGE_LOCK: &str = "
A: SET TRANSACTION ISOLATION LEVEL REPEATABLE READ
A: BEGIN
A: SELECT guest FROM bookings WHERE room = 1 AND hour BETWEEN 18 AND 20 FOR UPDATE
B: SET TRANSACTION ISOLATION LEVEL REPEATABLE READ
B: BEGIN
B: INSERT INTO bookings (room, hour, guest) VALUES (1, 19, 'bob')
A: COMMIT
B: COMMIT";

/// Both check that the evening is free, then both book it.
const BOOKING_RACE_REPEATABLE_READ: &str = "
A: SET TRANSACTION ISOLATION LEVEL REPEATABLE READ
A: BEGIN
A: SELECT guest FROM bookings WHERE room = 1 AND hour BETWEEN 18 AND 20 FOR UPDATE
B: SET TRANSACTION ISOLATION LEVEL REPEATABLE READ
B: BEGIN
B: SELECT guest FROM bookings WHERE room = 1 AND hour BETWEEN 18 AND 20 FOR UPDATE
A: INSERT INTO bookings (room, hour, guest) VALUES (1, 19, 'alice')
B: INSERT INTO bookings (room, hour, guest) VALUES (1, 18, 'bob')
A: COMMIT
B: ROLLBACK
A: SELECT guest FROM bookings WHERE room = 1 AND hour BETWEEN 18 AND 20 ORDER BY guest";

/// The same race for 10:00 to 12:00, which Dave's booking at 14:00 follows: the locking read
/// ends on Dave's row and locks it too, so B's locking read already waits for A.
const BOOKING_RACE_ROW_AFTER: &str = "
A: SET TRANSACTION ISOLATION LEVEL REPEATABLE READ
A: BEGIN
A: SELECT guest FROM bookings WHERE room = 1 AND hour BETWEEN 10 AND 12 FOR UPDATE
B: SET TRANSACTION ISOLATION LEVEL REPEATABLE READ
B: BEGIN
B: SELECT guest FROM bookings WHERE room = 1 AND hour BETWEEN 10 AND 12 FOR UPDATE
A: INSERT INTO bookings (room, hour, guest) VALUES (1, 11, 'alice')
B: ROLLBACK
A: COMMIT
A: SELECT guest FROM bookings WHERE room = 1 AND hour BETWEEN 10 AND 12 ORDER BY guest";

const BOOKING_RACE_READ_COMMITTED: &str = "
A: SET TRANSACTION ISOLATION LEVEL READ COMMITTED
A: BEGIN
A: SELECT guest FROM bookings WHERE room = 1 AND hour BETWEEN 18 AND 20 FOR UPDATE
B: SET TRANSACTION ISOLATION LEVEL READ COMMITTED
B: BEGIN
B: SELECT guest FROM bookings WHERE room = 1 AND hour BETWEEN 18 AND 20 FOR UPDATE
A: INSERT INTO bookings (room, hour, guest) VALUES (1, 19, 'alice')
B: INSERT INTO bookings (room, hour, guest) VALUES (1, 18, 'bob')
A: COMMIT
B: COMMIT
A: SELECT guest FROM bookings WHERE room = 1 AND hour BETWEEN 18 AND 20 ORDER BY guest";

/// What the test runs, in the order the file shows them.
pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        server: Server::Mariadb,
        title: "repeatable read: a locking read over a range, and an insert into it",
        setup: BOOKINGS,
        script: RANGE_LOCK,
    },
    Scenario {
        server: Server::Mariadb,
        title: "repeatable read: both check the range, both book",
        setup: BOOKINGS,
        script: BOOKING_RACE_REPEATABLE_READ,
    },
    Scenario {
        server: Server::Mariadb,
        title: "repeatable read: the same race, with a booking after the range",
        setup: BOOKINGS,
        script: BOOKING_RACE_ROW_AFTER,
    },
    Scenario {
        server: Server::Mariadb,
        title: "read committed: both check the range, both book",
        setup: BOOKINGS,
        script: BOOKING_RACE_READ_COMMITTED,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_prints_what_the_server_did_and_its_scenarios_parse() {
        assert_eq!(run("").unwrap(), OBSERVED);
        for scenario in SCENARIOS {
            scenario.lines().unwrap();
        }
    }
}
