use std::time::Instant;
use rayon::prelude::*;
use rand::{Rng, SeedableRng};
fn main() {
    let m = 49_995_000usize;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let mut pairs: Vec<(u64, u64)> = (0..m).map(|_| (rng.random::<u64>() >> 12, rng.random::<u64>() >> 12)).collect();
    let mut xs: Vec<u64> = pairs.iter().map(|p| p.0).collect();
    let mut pk: Vec<u128> = pairs.iter().map(|p| ((p.0 as u128) << 64) | p.1 as u128).collect();
    let t = Instant::now(); pairs.par_sort_unstable(); println!("par_sort_unstable (u64,u64): {:.3}", t.elapsed().as_secs_f64());
    let t = Instant::now(); pk.par_sort_unstable(); println!("par_sort_unstable u128: {:.3}", t.elapsed().as_secs_f64());
    drop(pk);
    let t = Instant::now(); xs.par_sort_unstable(); println!("par_sort_unstable u64: {:.3}", t.elapsed().as_secs_f64());
    let mut ys: Vec<u64> = pairs.iter().map(|p| p.1).collect();
    drop(pairs);
    let t = Instant::now(); let c = atrophy::analysis::kendall::sort_counting_inversions_pub(&mut ys); println!("merge count: {:.3} {}", t.elapsed().as_secs_f64(), c);
}
