//! The `examples` preprocessor for mdBook 0.5.
//!
//! It speaks mdBook's preprocessor protocol: `supports <renderer>` answers whether it handles a
//! renderer; otherwise it reads `[context, book]` as JSON on stdin and writes the book back.

use std::io::{Read, Write};

use anyhow::Context as _;
use mdbook_preprocessor::book::Book;
use mdbook_preprocessor::{Preprocessor, PreprocessorContext};

pub struct Examples;

impl Preprocessor for Examples {
    fn name(&self) -> &str {
        "examples"
    }

    fn run(&self, _ctx: &PreprocessorContext, book: Book) -> mdbook_preprocessor::errors::Result<Book> {
        Ok(book)
    }

    fn supports_renderer(&self, renderer: &str) -> mdbook_preprocessor::errors::Result<bool> {
        Ok(supports_renderer(renderer))
    }
}

/// The HTML renderer gets the full treatment.
pub fn supports_renderer(renderer: &str) -> bool {
    renderer == "html"
}

/// One preprocessor run: context and book in, book out.
pub fn run_preprocessor(input: impl Read, mut output: impl Write) -> anyhow::Result<()> {
    let (ctx, book) = mdbook_preprocessor::parse_input(input).context("reading the book from mdBook")?;
    let book = Examples.run(&ctx, book)?;
    serde_json::to_writer(&mut output, &book).context("writing the book back to mdBook")?;
    output.flush()?;
    Ok(())
}
