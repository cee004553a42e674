//! Times parsing and replaying history pages read from files (profiling aid).
//!
//! `cargo run --release --example parse_bench -- page1.json page2.json ...`

use std::time::Instant;

use botoflowx_replay::{Page, Replayer};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let bodies = std::env::args()
        .skip(1)
        .map(std::fs::read)
        .collect::<Result<Vec<_>, _>>()?;
    let bytes: usize = bodies.iter().map(Vec::len).sum();
    let (mut best_parse, mut best_total) = (f64::MAX, f64::MAX);
    for _ in 0..30 {
        let start = Instant::now();
        let pages = bodies
            .iter()
            .map(|b| Page::parse(b))
            .collect::<Result<Vec<_>, _>>()?;
        let parsed = start.elapsed();
        let last = pages.iter().map(Page::last_event_id).max().unwrap_or(0);
        let mut replayer = Replayer::new();
        replayer.extend(&pages, last)?;
        let mut activations = 0;
        while replayer.next_activation()?.is_some() {
            activations += 1;
            // Matching is exercised by the tests; here only the indexing cost matters.
            replayer.complete_activation(&[]).ok();
        }
        best_parse = best_parse.min(parsed.as_secs_f64());
        best_total = best_total.min(start.elapsed().as_secs_f64());
        assert_eq!(
            activations,
            pages.iter().map(|p| p.events.len()).sum::<usize>() / 6 + 1
        );
    }
    println!(
        "{bytes} bytes, best of 30: parse {:.1} ms ({:.0} MB/s), parse + replay {:.1} ms",
        best_parse * 1e3,
        bytes as f64 / best_parse / 1e6,
        best_total * 1e3
    );
    Ok(())
}
