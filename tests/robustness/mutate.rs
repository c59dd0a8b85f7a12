//! Seeded mutations of valid files: byte-level (truncation, bit flips, overwrites, garbage,
//! duplicated, appended and deleted chunks, extreme header values) and, for text, token-level
//! (lines deleted, duplicated, swapped or inserted; numbers and strings replaced by huge,
//! negative, NaN, empty or malformed ones).
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::io::Write;
use std::path::Path;

/// One random change of `good`; `marks` are header boundaries (offsets where a field starts or
/// ends). Returns the bytes and what was done.
pub fn mutate(rng: &mut ChaCha8Rng, good: &[u8], marks: &[usize]) -> (Vec<u8>, String) {
    let n = good.len();
    let header = marks.iter().copied().max().unwrap_or(0).clamp(1, n.max(1));
    let mut b = good.to_vec();
    let what = match rng.random_range(0..11u32) {
        0 => {
            let k = rng.random_range(0..=n);
            b.truncate(k);
            format!("truncated to {k} bytes")
        }
        1 => {
            let m = *marks.choose(rng).unwrap_or(&0) as i64 + rng.random_range(-1..=1);
            let k = m.clamp(0, n as i64) as usize;
            b.truncate(k);
            format!("truncated at a header boundary, to {k} bytes")
        }
        2 if n > 0 => {
            let k = rng.random_range(1..=8);
            for _ in 0..k {
                // Half of the flips land in the header, where they matter most.
                let i = if rng.random_bool(0.5) {
                    rng.random_range(0..header.min(n))
                } else {
                    rng.random_range(0..n)
                };
                b[i] ^= 1 << rng.random_range(0..8);
            }
            format!("{k} bits flipped")
        }
        3 if n > 0 => {
            let k = rng.random_range(1..=8);
            for _ in 0..k {
                let i = if rng.random_bool(0.5) {
                    rng.random_range(0..header.min(n))
                } else {
                    rng.random_range(0..n)
                };
                b[i] = rng.random();
            }
            format!("{k} bytes overwritten")
        }
        4 => {
            let len = rng.random_range(0..=2 * n + 16);
            let keep = if rng.random_bool(0.5) {
                rng.random_range(0..=header.min(n))
            } else {
                0
            };
            b.truncate(keep.min(len));
            while b.len() < len {
                b.push(rng.random());
            }
            format!("random bytes, {len} long, after the first {keep} good ones")
        }
        5 if n > 0 => {
            let a = rng.random_range(0..n);
            let e = rng.random_range(a..=n.min(a + 4096));
            let at = rng.random_range(0..=n);
            let chunk = good[a..e].to_vec();
            b.splice(at..at, chunk);
            format!("bytes {a}..{e} duplicated at {at}")
        }
        6 => {
            if rng.random_bool(0.5) {
                b.extend_from_slice(good);
                "the whole file appended to itself".to_string()
            } else {
                let k = rng.random_range(1..=1024);
                b.extend((0..k).map(|_| rng.random::<u8>()));
                format!("{k} random bytes appended")
            }
        }
        7 if n > 0 => {
            let a = rng.random_range(0..n);
            let e = rng.random_range(a..=n);
            b.drain(a..e);
            format!("bytes {a}..{e} deleted")
        }
        8 if n > 0 => {
            let at = (*marks.choose(rng).unwrap_or(&0)).min(n - 1);
            let width = *[1usize, 2, 4, 8].choose(rng).unwrap();
            let v: u64 = *[
                0,
                1,
                u64::MAX,
                u32::MAX as u64,
                1 << 31,
                1 << 40,
                1 << 62,
                rng.random(),
            ]
            .choose(rng)
            .unwrap();
            let bytes = if rng.random_bool(0.5) {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            };
            for (i, x) in bytes.iter().take(width).enumerate() {
                if at + i < n {
                    b[at + i] = *x;
                }
            }
            format!("{width} bytes at {at} set to {v:#x}")
        }
        9 | 10 => {
            let (once, w1) = mutate(rng, good, marks);
            let (twice, w2) = mutate(rng, &once, marks);
            b = twice;
            format!("{w1}, then {w2}")
        }
        _ => {
            b = vec![];
            "emptied".to_string()
        }
    };
    (b, what)
}

pub const WEIRD_NUMBERS: [&str; 30] = [
    "",
    "0",
    "-0",
    "1",
    "-1",
    "2",
    "0.5",
    "-0.5",
    "1e308",
    "-1e308",
    "1e999",
    "nan",
    "-nan",
    "inf",
    "-inf",
    "NaN",
    "18446744073709551615",
    "18446744073709551616",
    "9223372036854775807",
    "-9223372036854775808",
    "4294967296",
    "1099511627776",
    "0x10",
    "1_000",
    "\"7\"",
    "true",
    "[]",
    "{}",
    "null",
    "5e-324",
];

pub const WEIRD_STRINGS: [&str; 16] = [
    "",
    " ",
    "x",
    "a/b",
    "R1000, \\\"x\\\"",
    "M,M,M,M,M,M,M,M,M,M",
    "0",
    "-1",
    "1099511627776",
    "32,M,0,M",
    "32,M,1099511627776,M",
    "nan",
    "\u{e9}\u{2603}",
    "../../x",
    "static",
    "cifar10",
];

/// Byte ranges of the numbers in `text` (a digit run, with its sign, point and exponent).
pub fn number_spans(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() {
            let start = if i > 0 && b[i - 1] == b'-' { i - 1 } else { i };
            let mut e = i;
            while e < b.len()
                && (b[e].is_ascii_digit() || matches!(b[e], b'.' | b'e' | b'E' | b'_' | b'+'))
            {
                e += 1;
            }
            out.push((start, e));
            i = e;
        } else {
            i += 1;
        }
    }
    out
}

/// Byte ranges of the contents of `"..."` strings in `text`.
pub fn string_spans(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut open = None;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match (c, open) {
            ('\\', Some(_)) if !escaped => {
                escaped = true;
                continue;
            }
            ('"', None) => open = Some(i + 1),
            ('"', Some(s)) if !escaped => {
                out.push((s, i));
                open = None;
            }
            _ => {}
        }
        escaped = false;
    }
    out
}

/// One random change of the text `good` (TOML, JSON): token-level most of the time, else
/// byte-level.
pub fn mutate_text(rng: &mut ChaCha8Rng, good: &str) -> (Vec<u8>, String) {
    let lines: Vec<&str> = good.lines().collect();
    let join = |l: &[String]| l.join("\n") + "\n";
    let mut owned: Vec<String> = lines.iter().map(|s| s.to_string()).collect();
    let nl = owned.len().max(1);
    let replace = |rng: &mut ChaCha8Rng, text: &str, spans: &[(usize, usize)], with: &[&str]| {
        let (a, e) = *spans.choose(rng).unwrap();
        let w = *with.choose(rng).unwrap();
        let mut t = text.to_string();
        t.replace_range(a..e, w);
        (
            t,
            format!("`{}` at byte {a} replaced by `{w}`", &text[a..e]),
        )
    };
    let numbers = number_spans(good);
    let strings = string_spans(good);
    let (text, what) = match rng.random_range(0..10u32) {
        0 if !owned.is_empty() => {
            let i = rng.random_range(0..nl);
            let l = owned.remove(i);
            (join(&owned), format!("line {} deleted: {l}", i + 1))
        }
        1 if !owned.is_empty() => {
            let i = rng.random_range(0..nl);
            let l = owned[i].clone();
            owned.insert(rng.random_range(0..=nl), l.clone());
            (join(&owned), format!("line {} duplicated: {l}", i + 1))
        }
        2 if !owned.is_empty() => {
            let (i, j) = (rng.random_range(0..nl), rng.random_range(0..nl));
            owned.swap(i, j);
            (
                join(&owned),
                format!("lines {} and {} swapped", i + 1, j + 1),
            )
        }
        3 | 4 if !numbers.is_empty() => replace(rng, good, &numbers, &WEIRD_NUMBERS),
        5 if !numbers.is_empty() => {
            let mut t = good.to_string();
            let mut what = Vec::new();
            for _ in 0..rng.random_range(2..=4) {
                let spans = number_spans(&t);
                if spans.is_empty() {
                    break;
                }
                let (t2, w) = replace(rng, &t, &spans, &WEIRD_NUMBERS);
                t = t2;
                what.push(w);
            }
            (t, what.join("; "))
        }
        6 if !strings.is_empty() => {
            if rng.random_bool(0.1) {
                let long = "x".repeat(rng.random_range(1000..20000));
                replace(rng, good, &strings, &[long.as_str()])
            } else {
                replace(rng, good, &strings, &WEIRD_STRINGS)
            }
        }
        7 => {
            let extra = *[
                "unknown = 1",
                "[injury]",
                "[[regime]]",
                "name = \"x\"",
                "=",
                "[",
                "\"",
                "a.b.c = [1,",
                "}",
                ",",
                "\"x\": 1,",
                "[data]\ndataset = \"mnist\"",
                "cycles = 0",
            ]
            .choose(rng)
            .unwrap();
            owned.insert(rng.random_range(0..=owned.len()), extra.to_string());
            (join(&owned), format!("line inserted: {extra}"))
        }
        8 => {
            let cut = rng.random_range(0..=owned.len());
            owned.truncate(cut);
            (join(&owned), format!("cut after line {cut}"))
        }
        _ => {
            let (b, w) = mutate(rng, good.as_bytes(), &[0, 1, good.len() / 2]);
            return (b, w);
        }
    };
    (text.into_bytes(), what)
}

/// Writes `bytes` to `path`, gzipped when `gz`.
pub fn write_file(path: &Path, bytes: &[u8], gz: bool) {
    if gz {
        std::fs::write(path, gzip(bytes)).unwrap();
    } else {
        std::fs::write(path, bytes).unwrap();
    }
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

pub fn seeded(seed: u64, reader: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed.wrapping_mul(1000).wrapping_add(reader))
}
