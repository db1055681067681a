//! Chapter "REST, gRPC and GraphQL".
//!
//! * `protobuf`: the book's own protobuf encoder and decoder (varints, tags, wire types, the
//!   gRPC 5-byte prefix), checked against prost and protobuf.dev's examples; `bytes` is its
//!   byte view, in the browser too;
//! * `catalogue`: the service both APIs serve (get, keyset pages, create, put);
//! * `live` (native only): the catalogue over REST on axum and over gRPC on tonic, on
//!   127.0.0.1, called by a hand-written HTTP/1.1 client and by tonic's client;
//! * `pagination`: offset against cursor pages over a feed that changes between pages;
//! * `graphql`: a small executor for a query subset, with naive resolvers and DataLoader
//!   batching; `dataloader` has its two simulations (an editable query, a seeded puzzle).

pub mod bytes;
pub mod catalogue;
pub mod dataloader;
pub mod graphql;
#[cfg(not(target_family = "wasm"))]
pub mod live;
pub mod pagination;
pub mod protobuf;

/// The chapter's examples, in reading order (the chapter is a line of [`crate::CHAPTERS`]).
pub const EXAMPLES: &[crate::registry::Example] = &[
    #[cfg(not(target_family = "wasm"))]
    live::EXAMPLE,
    bytes::EXAMPLE,
    pagination::EXAMPLE,
    dataloader::EXAMPLE,
    dataloader::PREDICT,
];
