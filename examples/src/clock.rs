//! A stopwatch for the examples that measure (the latency ladder of the back-of-the-envelope
//! chapter). Natively it reads `std::time::Instant`; in the browser's WebAssembly, where
//! `Instant` is not available, it reads `performance.now()`, which browsers coarsen on
//! purpose against timing side channels such as Spectre (W3C High Resolution Time: no finer
//! than 100 µs, or 5 µs in a cross-origin-isolated page; some browsers coarsen more), so a
//! measuring example runs each timed loop for milliseconds.

/// Where the time comes from, as the output names it.
#[cfg(not(target_family = "wasm"))]
pub const SOURCE: &str = "std::time::Instant (a monotonic clock with nanosecond resolution)";
#[cfg(target_family = "wasm")]
pub const SOURCE: &str =
    "performance.now() (coarsened by the browser to 100 µs or more, 5 µs when cross-origin isolated)";

#[cfg(target_family = "wasm")]
mod host {
    use wasm_bindgen::prelude::wasm_bindgen;

    #[wasm_bindgen]
    extern "C" {
        /// Milliseconds since the page (or worker) started, as a float.
        #[wasm_bindgen(js_namespace = performance, js_name = now)]
        pub fn performance_now() -> f64;
    }
}

/// A started stopwatch.
#[derive(Debug, Clone, Copy)]
pub struct Stopwatch {
    #[cfg(not(target_family = "wasm"))]
    start: std::time::Instant,
    #[cfg(target_family = "wasm")]
    start_ms: f64,
}

impl Stopwatch {
    pub fn start() -> Self {
        #[cfg(not(target_family = "wasm"))]
        return Stopwatch { start: std::time::Instant::now() };
        #[cfg(target_family = "wasm")]
        return Stopwatch { start_ms: host::performance_now() };
    }

    /// Nanoseconds since [`Stopwatch::start`].
    pub fn elapsed_ns(&self) -> f64 {
        #[cfg(not(target_family = "wasm"))]
        return self.start.elapsed().as_nanos() as f64;
        #[cfg(target_family = "wasm")]
        return (host::performance_now() - self.start_ms) * 1e6;
    }
}
