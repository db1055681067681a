// Replaces mdBook's highlight.js. Every code block is highlighted at build time by the
// mdbook-examples preprocessor (syntect), so the browser needs no highlighter; book.js still
// calls these two functions, which do nothing.
window.hljs = {
    configure() {},
    highlightBlock() {},
};
