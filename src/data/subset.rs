//! Random subsets of a data set: uniform without replacement (not class-balanced, as the papers'
//! retraining sets) and class-balanced.
use super::dataset::Dataset;
use super::error::{DataError, Result};
use rand::seq::SliceRandom;
use rand::Rng;

/// `r` distinct indices of `0..n`, uniformly at random; the class mix follows the data.
pub fn random_subset<R: Rng>(n: usize, r: usize, rng: &mut R) -> Result<Vec<usize>> {
    if r > n {
        return Err(DataError::Invalid(format!(
            "cannot draw {r} images without replacement from a set of {n}"
        )));
    }
    Ok(rand::seq::index::sample(rng, n, r).into_vec())
}

/// `r` distinct indices with the same number of images of every class (when `r` is not a
/// multiple of the number of classes, randomly chosen classes get one more).
pub fn balanced_subset<R: Rng>(data: &Dataset, r: usize, rng: &mut R) -> Result<Vec<usize>> {
    balanced_subset_among(data, None, r, rng)
}

/// [`balanced_subset`] drawn among the images `among` (indices of `data` in increasing order;
/// `None`: all of them). The same draw as [`balanced_subset`] when `among` holds every index.
pub fn balanced_subset_among<R: Rng>(
    data: &Dataset,
    among: Option<&[usize]>,
    r: usize,
    rng: &mut R,
) -> Result<Vec<usize>> {
    let k = data.num_classes();
    let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); k];
    let all: Vec<usize>;
    let among = match among {
        Some(a) => a,
        None => {
            all = (0..data.len()).collect();
            &all
        }
    };
    for &i in among {
        by_class[data.labels[i] as usize].push(i);
    }
    let mut quota = vec![r / k; k];
    let mut order: Vec<usize> = (0..k).collect();
    order.shuffle(rng);
    for &c in order.iter().take(r % k) {
        quota[c] += 1;
    }
    let mut out = Vec::with_capacity(r);
    for (c, members) in by_class.iter().enumerate() {
        if quota[c] > members.len() {
            return Err(DataError::Invalid(format!(
                "a class-balanced subset of {r} needs {} images of class {c} ({}), the set has {}",
                quota[c],
                data.classes[c],
                members.len()
            )));
        }
        let picked = rand::seq::index::sample(rng, members.len(), quota[c]);
        out.extend(picked.iter().map(|j| members[j]));
    }
    out.shuffle(rng);
    Ok(out)
}
