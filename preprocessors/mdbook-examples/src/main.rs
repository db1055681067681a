//! `mdbook-examples`: the thin binary mdBook calls; all logic is in the library.

use std::io;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [cmd, renderer] if cmd == "supports" => {
            if mdbook_examples::supports_renderer(renderer) {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        [] => match mdbook_examples::run_preprocessor(io::stdin().lock(), io::stdout().lock()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("{err:#}");
                ExitCode::FAILURE
            }
        },
        [cmd, files @ ..] if cmd == "bench-highlight" => {
            let files: Vec<std::path::PathBuf> = files.iter().map(Into::into).collect();
            match mdbook_examples::highlight::bench(&files) {
                Ok((lines, spent)) => {
                    println!("lines={lines} seconds={:.6}", spent.as_secs_f64());
                    ExitCode::SUCCESS
                }
                Err(err) => {
                    eprintln!("{err:#}");
                    ExitCode::FAILURE
                }
            }
        }
        [cmd, src, cache @ ..] if cmd == "browser-diagrams" && cache.len() <= 1 => {
            match mdbook_examples::browser_diagrams(src.as_ref(), cache.first().map(Into::into)) {
                Ok(found) => {
                    for line in found {
                        println!("{line}");
                    }
                    ExitCode::SUCCESS
                }
                Err(err) => {
                    eprintln!("{err:#}");
                    ExitCode::FAILURE
                }
            }
        }
        _ => {
            eprintln!(
                "usage: mdbook-examples [supports <renderer>]  (mdBook runs this; see its README)\n       mdbook-examples bench-highlight FILE...  (syntect throughput, for cargo xtask bench)\n       mdbook-examples browser-diagrams SRC_DIR [CACHE_DIR]  (diagrams left to mermaid.js, for cargo xtask)"
            );
            ExitCode::from(2)
        }
    }
}
