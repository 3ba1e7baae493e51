//! Fixtures and input formats shared by the fuzz targets and the seed-corpus generator
//! (`examples/seed_corpus.rs`), so that a corpus file written by the generator means the same
//! thing to the target that reads it.

pub mod endpoints;
pub mod events;
pub mod expression;
pub mod jose;
pub mod management;

/// Runs a future of the library's on the calling thread. The memory stores never wait, so this
/// never parks for long.
pub fn run<F: std::future::Future>(future: F) -> F::Output {
    futures::executor::block_on(future)
}

/// Splits `input` at the first occurrence of `separator`: the part before and the part after
/// (empty when absent).
pub fn split_once<'a>(input: &'a str, separator: &str) -> (&'a str, &'a str) {
    input.split_once(separator).unwrap_or((input, ""))
}
