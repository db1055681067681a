-- Derived from the dataset in examples/src/datamodels/social.rs (a test checks it).
CREATE TABLE person (
    id   TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    city TEXT NOT NULL
);
CREATE TABLE friend (
    person_id TEXT NOT NULL REFERENCES person (id),
    friend_id TEXT NOT NULL REFERENCES person (id),
    since     INTEGER NOT NULL,
    PRIMARY KEY (person_id, friend_id)
);
CREATE TABLE post (
    id        TEXT PRIMARY KEY,
    author_id TEXT NOT NULL REFERENCES person (id),
    title     TEXT NOT NULL,
    topic     TEXT NOT NULL
);
INSERT INTO person (id, name, city) VALUES
    ('ann', 'Ann', 'Oslo'),
    ('bob', 'Bob', 'Lima'),
    ('cat', 'Cat', 'Oslo'),
    ('dan', 'Dan', 'Pune'),
    ('eve', 'Eve', 'Lima'),
    ('fay', 'Fay', 'Oslo');
INSERT INTO friend (person_id, friend_id, since) VALUES
    ('ann', 'bob', 2015),
    ('ann', 'cat', 2018),
    ('bob', 'cat', 2016),
    ('bob', 'dan', 2019),
    ('cat', 'ann', 2018),
    ('cat', 'dan', 2020),
    ('dan', 'eve', 2021),
    ('eve', 'fay', 2022);
INSERT INTO post (id, author_id, title, topic) VALUES
    ('p1', 'ann', 'B-trees by hand', 'databases'),
    ('p2', 'ann', 'Trail to Preikestolen', 'hiking'),
    ('p3', 'bob', 'Borrowing without tears', 'rust'),
    ('p4', 'cat', 'JSONB or tables?', 'databases'),
    ('p5', 'dan', 'Async Rust in practice', 'rust'),
    ('p6', 'eve', 'Ceviche for ten', 'cooking');
