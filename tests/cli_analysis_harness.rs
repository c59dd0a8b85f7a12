//! TEMPORARY: compiles src/cli/analysis.rs (and runs its unit tests) before it is declared in
//! src/cli/mod.rs. Delete this file once `pub mod analysis;` is there.
pub use atrophy::analysis;
#[path = "../src/cli/analysis.rs"]
mod cli_analysis;
