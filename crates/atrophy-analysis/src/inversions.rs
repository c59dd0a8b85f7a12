//! Counting inversions while sorting: the O(m log m) core of Kendall's tau (Knight 1966).
//!
//! The number of strict inversions of a sequence (pairs i < j with v_i > v_j) is the number of
//! discordant pairs once the pairs are sorted by x. A merge sort counts them: when an element of
//! the right run is emitted before elements still waiting in the left run, each of those forms
//! one inversion. Equal elements are never swapped, so ties are not counted.

/// Below this many elements a sort or merge runs on the current thread.
const SEQUENTIAL: usize = 1 << 15;
/// Below this many elements insertion sort beats merging.
const INSERTION: usize = 24;

/// Sorts `v` ascending and returns the number of strict inversions (i < j, v_i > v_j): the
/// number of swaps of adjacent elements a stable sort needs.
pub(crate) fn sort_counting_inversions(v: &mut [u64]) -> u64 {
    let mut buf = vec![0u64; v.len()];
    sort_count(v, &mut buf, false)
}

/// Merge sort that ping-pongs between `v` and `buf`: the sorted result lands in `buf` if
/// `to_buf`, else in `v`. The input is always in `v`.
fn sort_count(v: &mut [u64], buf: &mut [u64], to_buf: bool) -> u64 {
    let n = v.len();
    if n <= INSERTION {
        let inv = insertion_count(v);
        if to_buf {
            buf.copy_from_slice(v);
        }
        return inv;
    }
    let mid = n / 2;
    let (left, right) = {
        let (vl, vr) = v.split_at_mut(mid);
        let (bl, br) = buf.split_at_mut(mid);
        if n > SEQUENTIAL {
            rayon::join(
                || sort_count(vl, bl, !to_buf),
                || sort_count(vr, br, !to_buf),
            )
        } else {
            (sort_count(vl, bl, !to_buf), sort_count(vr, br, !to_buf))
        }
    };
    // The sorted halves are in the array we are not targeting; merge them into the target.
    let cross = if to_buf {
        let (a, b) = v.split_at(mid);
        merge_count(a, b, buf, 0)
    } else {
        let (a, b) = buf.split_at(mid);
        merge_count(a, b, v, 0)
    };
    left + right + cross
}

/// Insertion sort counting strict inversions (equal elements are not swapped).
fn insertion_count(v: &mut [u64]) -> u64 {
    let mut inv = 0u64;
    for i in 1..v.len() {
        let x = v[i];
        let mut j = i;
        while j > 0 && v[j - 1] > x {
            v[j] = v[j - 1];
            j -= 1;
        }
        v[j] = x;
        inv += (i - j) as u64;
    }
    inv
}

/// Merges sorted `a` then `b` into `out` (ties: `a` first) and returns the pairs (a_i, b_j)
/// with a_i > b_j, plus `a_after` for every element of `b` (the caller's elements of `a` that lie
/// beyond this sub-merge and are all greater than this `b`). Large merges split in parallel at
/// the median of the longer input.
fn merge_count(a: &[u64], b: &[u64], out: &mut [u64], a_after: u64) -> u64 {
    if a.len() + b.len() <= SEQUENTIAL || a.is_empty() || b.is_empty() {
        return merge_count_seq(a, b, out, a_after);
    }
    let (ia, jb) = split_point(a, b);
    let (out_l, out_r) = out.split_at_mut(ia + jb);
    // Every b in the left part is below every a in the right part; none of the right b's is
    // below a left a.
    let right_a = (a.len() - ia) as u64;
    let (l, r) = rayon::join(
        || merge_count(&a[..ia], &b[..jb], out_l, a_after + right_a),
        || merge_count(&a[ia..], &b[jb..], out_r, a_after),
    );
    l + r
}

/// A cut (ia, jb) of two sorted non-empty inputs such that merging `a[..ia]` with `b[..jb]` and
/// `a[ia..]` with `b[jb..]` and concatenating gives the stable merge (ties: `a` first). Every
/// `b[..jb]` is below every `a[ia..]` (so each such pair is an inversion), and no `b[jb..]` is
/// below any `a[..ia]`.
fn split_point(a: &[u64], b: &[u64]) -> (usize, usize) {
    if a.len() >= b.len() {
        let ia = a.len() / 2;
        let pivot = a[ia];
        (ia, b.partition_point(|&x| x < pivot))
    } else {
        let jb = b.len() / 2;
        let pivot = b[jb];
        (a.partition_point(|&x| x <= pivot), jb)
    }
}

/// One step of a branch-free merge: emit the smaller head (ties: `a`), and if it came from `b`
/// count the elements of `a` still waiting (plus `after`) as inversions.
///
/// # Safety
/// `pa < ea`, `pb < eb`, and `po` must have room for one element.
#[inline(always)]
unsafe fn step(
    pa: &mut *const u64,
    ea: *const u64,
    pb: &mut *const u64,
    po: &mut *mut u64,
    after: u64,
    inv: &mut u64,
) {
    let (x, y) = (**pa, **pb);
    let take_b = y < x;
    **po = if take_b { y } else { x };
    *po = po.add(1);
    let waiting = ea.offset_from(*pa) as u64 + after;
    *inv += if take_b { waiting } else { 0 };
    *pb = pb.add(take_b as usize);
    *pa = pa.add((!take_b) as usize);
}

/// Sequential merge with inversion counting (see [`merge_count`]). The merge is cut in two
/// halves (as in the parallel merge) that advance in the same loop: one merge is bound by the
/// latency of load -> compare -> pointer update, two independent ones keep the core busy.
fn merge_count_seq(a: &[u64], b: &[u64], out: &mut [u64], a_after: u64) -> u64 {
    let (na, nb) = (a.len(), b.len());
    assert_eq!(out.len(), na + nb);
    if na + nb < 128 || na == 0 || nb == 0 {
        return merge_one(a, b, out, a_after);
    }
    let (ia, jb) = split_point(a, b);
    let after1 = a_after + (na - ia) as u64;
    let mut inv = 0u64;
    // SAFETY: chain 1 reads a[..ia], b[..jb] and writes out[..ia + jb]; chain 2 reads a[ia..],
    // b[jb..] and writes out[ia + jb..]. The loop runs only while every read pointer is below its
    // end, and each step writes exactly one element per chain, never more than its share.
    let (r1, r2) = unsafe {
        let (mut pa1, ea1) = (a.as_ptr(), a.as_ptr().add(ia));
        let (mut pb1, eb1) = (b.as_ptr(), b.as_ptr().add(jb));
        let (mut pa2, ea2) = (a.as_ptr().add(ia), a.as_ptr().add(na));
        let (mut pb2, eb2) = (b.as_ptr().add(jb), b.as_ptr().add(nb));
        let mut po1 = out.as_mut_ptr();
        let mut po2 = out.as_mut_ptr().add(ia + jb);
        let mut inv2 = 0u64;
        while pa1 < ea1 && pb1 < eb1 && pa2 < ea2 && pb2 < eb2 {
            step(&mut pa1, ea1, &mut pb1, &mut po1, after1, &mut inv);
            step(&mut pa2, ea2, &mut pb2, &mut po2, a_after, &mut inv2);
        }
        inv += inv2;
        let base = out.as_mut_ptr();
        let o1 = po1.offset_from(base) as usize;
        let o2 = po2.offset_from(base) as usize;
        let a1 = pa1.offset_from(a.as_ptr()) as usize;
        let b1 = pb1.offset_from(b.as_ptr()) as usize;
        let a2 = pa2.offset_from(a.as_ptr()) as usize;
        let b2 = pb2.offset_from(b.as_ptr()) as usize;
        ((a1, b1, o1), (a2, b2, o2))
    };
    let (out1, out2) = out.split_at_mut(ia + jb);
    inv += merge_one(&a[r1.0..ia], &b[r1.1..jb], &mut out1[r1.2..], after1);
    inv += merge_one(
        &a[r2.0..],
        &b[r2.1..],
        &mut out2[r2.2 - (ia + jb)..],
        a_after,
    );
    inv
}

/// Plain branch-free merge with inversion counting (see [`merge_count`]).
fn merge_one(a: &[u64], b: &[u64], out: &mut [u64], a_after: u64) -> u64 {
    let (na, nb) = (a.len(), b.len());
    assert_eq!(out.len(), na + nb);
    let mut inv = 0u64;
    // SAFETY: `pa` stays within a[..na] and `pb` within b[..nb] while the loop runs (each
    // iteration advances exactly one of them by one and the loop stops when either reaches its
    // end); `po` advances once per element written and `out` has room for na + nb elements.
    // Raw pointers let the compiler turn the selection into conditional moves: on random data
    // a branch would be mispredicted half of the time.
    unsafe {
        let (mut pa, ea) = (a.as_ptr(), a.as_ptr().add(na));
        let (mut pb, eb) = (b.as_ptr(), b.as_ptr().add(nb));
        let mut po = out.as_mut_ptr();
        while pa < ea && pb < eb {
            step(&mut pa, ea, &mut pb, &mut po, a_after, &mut inv);
        }
        let ra = ea.offset_from(pa) as usize;
        std::ptr::copy_nonoverlapping(pa, po, ra);
        po = po.add(ra);
        let rb = eb.offset_from(pb) as usize;
        std::ptr::copy_nonoverlapping(pb, po, rb);
        inv + rb as u64 * a_after
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn parallel_inversion_count_matches_quadratic_count() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        // Large enough to take the parallel merge path (> SEQUENTIAL elements), few distinct
        // values so equal keys meet across every split.
        let v: Vec<u64> = (0..200_000).map(|_| rng.random_range(0..100)).collect();
        let mut counts = [0u64; 100];
        let mut want = 0u64;
        for &x in v.iter().rev() {
            want += counts[..x as usize].iter().sum::<u64>();
            counts[x as usize] += 1;
        }
        let mut s = v.clone();
        assert_eq!(sort_counting_inversions(&mut s), want);
        assert!(s.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn small_cases_by_hand() {
        let mut v = vec![3, 1, 2];
        assert_eq!(sort_counting_inversions(&mut v), 2);
        assert_eq!(v, vec![1, 2, 3]);
        let mut v = vec![2, 2, 1, 1];
        assert_eq!(sort_counting_inversions(&mut v), 4);
        let mut v: Vec<u64> = vec![];
        assert_eq!(sort_counting_inversions(&mut v), 0);
    }
}
