//! Cycles are independent, so an experiment can be split into shards (`--shard i/n` runs the
//! cycles c with c mod n = i, e.g. one per Slurm array task) and the shards merged afterwards.
use super::config::ExperimentConfig;
use super::record::{first_difference, steps, RunRecord};
use crate::results::{State, StateKey};
use anyhow::{bail, Context, Result};
use std::path::Path;

/// Parses `i/n` with 0 <= i < n.
pub fn parse_shard(s: &str) -> Result<(usize, usize), String> {
    let bad = || format!("--shard `{s}`: expected i/n with 0 <= i < n, e.g. 0/4");
    let (i, n) = s.split_once('/').ok_or_else(bad)?;
    let (i, n): (usize, usize) = (
        i.trim().parse().map_err(|_| bad())?,
        n.trim().parse().map_err(|_| bad())?,
    );
    if n == 0 || i >= n {
        return Err(bad());
    }
    Ok((i, n))
}

/// Merges finished folders into `out`: shards of one experiment, or runs of the same experiment
/// with different `--regimes` (or both). Their configs must agree in everything but their
/// regimes; every (regime, cycle) must come from exactly one folder. The merged config has the
/// regimes in the order the folders first name them. As regimes draw their retraining images by
/// name ([`crate::seed::name_key`]), the result equals the run of the merged config.
pub fn merge(dirs: &[&Path], out: &Path) -> Result<RunRecord> {
    refuse_overlap(dirs, out)?;
    let parts = read_finished(dirs)?;
    let config = merged_config(&parts)?;
    let merged = merged_record(&parts, config)?;
    write_merged(&merged, &parts, dirs, out)?;
    Ok(merged)
}

/// The run records of `dirs`, each of a finished run or shard.
fn read_finished<'a>(dirs: &[&'a Path]) -> Result<Vec<(&'a Path, RunRecord)>> {
    let mut parts = Vec::new();
    for d in dirs {
        let p = RunRecord::read(d)?;
        let total = steps(&p.config, p.shard).len();
        if p.completed != total {
            bail!(
                "{}: shard {:?} is unfinished ({} of {} steps); run it to the end first",
                d.display(),
                p.shard,
                p.completed,
                total
            );
        }
        parts.push((*d, p));
    }
    Ok(parts)
}

/// The config of the merged run: the folders' common config with every regime, in the order
/// the folders first name them; an error when the configs differ in anything else, a regime's
/// settings differ, or a (regime, cycle) is in two folders or in none.
fn merged_config(parts: &[(&Path, RunRecord)]) -> Result<ExperimentConfig> {
    let Some((first_dir, first)) = parts.first() else {
        bail!("nothing to merge: give at least one results folder")
    };
    let without_regimes = |c: &ExperimentConfig| {
        let mut c = c.clone();
        c.regimes.clear();
        c
    };
    let base = without_regimes(&first.config);
    let mut config = base.clone();
    let mut seen = std::collections::BTreeSet::new();
    for (d, p) in parts {
        let theirs = without_regimes(&p.config);
        if theirs != base {
            bail!(
                "{} and {} were made by different configs ({}; they may differ only in their \
                 regimes)",
                first_dir.display(),
                d.display(),
                first_difference(&base, &theirs, ("in the first", "in the second"))
            );
        }
        if p.healthy != first.healthy {
            bail!(
                "{} and {} start from different healthy models (their evaluations differ: another \
                 checkpoint, binary or device?)",
                first_dir.display(),
                d.display()
            );
        }
        for r in &p.config.regimes {
            match config.regimes.iter().find(|x| x.name == r.name) {
                Some(x) if x != r => {
                    let (other, _) = parts
                        .iter()
                        .find(|(_, q)| q.config.regimes.contains(x))
                        .expect("every known regime came from a folder");
                    bail!(
                        "regime {} has different settings in {} and {}",
                        r.name,
                        other.display(),
                        d.display()
                    )
                }
                Some(_) => {}
                None => config.regimes.push(r.clone()),
            }
            for c in (0..p.config.cycles).filter(|c| p.shard.is_none_or(|(i, n)| c % n == i)) {
                if !seen.insert((r.name.as_str(), c)) {
                    bail!(
                        "cycle {c} of regime {} appears in more than one folder ({})",
                        r.name,
                        d.display()
                    );
                }
            }
        }
    }
    for r in &config.regimes {
        let missing: Vec<usize> = (0..config.cycles)
            .filter(|c| !seen.contains(&(r.name.as_str(), *c)))
            .collect();
        if !missing.is_empty() {
            bail!(
                "regime {}: cycles {missing:?} are in none of the folders",
                r.name
            );
        }
    }
    Ok(config)
}

/// The merged record: every folder's rows in run order, and the synapse counts they agree on.
fn merged_record(parts: &[(&Path, RunRecord)], config: ExperimentConfig) -> Result<RunRecord> {
    let first = &parts[0].1;
    // Run order: regime (as configured), cycle, iteration, then healthy < injured < retrained.
    let order = |k: &StateKey| -> (usize, usize, usize, State) {
        let r = config.regimes.iter().position(|x| x.name == k.regime);
        (r.unwrap_or(usize::MAX), k.cycle, k.iteration, k.state)
    };
    // Every shard's rows of one table, in run order (a stable sort: rows of one state, such as
    // a layer per row, keep their order).
    fn gather<T: Clone>(
        parts: &[(&Path, RunRecord)],
        table: impl Fn(&RunRecord) -> &Vec<T>,
        order: impl Fn(&T) -> (usize, usize, usize, State),
    ) -> Vec<T> {
        let mut rows: Vec<T> = parts.iter().flat_map(|(_, p)| table(p).clone()).collect();
        rows.sort_by_key(|r| order(r));
        rows
    }
    let rows = gather(parts, |p| &p.rows, |r| order(&r.key));
    let tau_rows = gather(parts, |p| &p.tau_rows, |r| order(&r.key));
    let pathway_rows = gather(parts, |p| &p.pathway_rows, |r| order(&r.key));
    let superclass_rows = gather(parts, |p| &p.superclass_rows, |r| order(&r.key));
    let divergence_rows = gather(parts, |p| &p.divergence_rows, |r| order(&r.key));
    let damage_rows = gather(parts, |p| &p.damage_rows, |r| order(&r.key));
    let battery_rows = gather(parts, |p| &p.battery_rows, |r| order(&r.key));
    // The synapse counts of any shard that recorded them (older ones did not); shards of one
    // experiment injure the same network, so two different counts are two experiments.
    let mut synapses: Option<(crate::injury::SynapseCount, &Path)> = None;
    for (d, p) in parts {
        match (synapses, p.synapses) {
            (Some((c, from)), Some(here)) if c != here => bail!(
                "{} and {} count different synapses ({c:?} against {here:?}): not shards of \
                 one experiment",
                from.display(),
                d.display()
            ),
            (None, Some(here)) => synapses = Some((here, d)),
            _ => {}
        }
    }
    let synapses = synapses.map(|(c, _)| c);
    let merged = RunRecord {
        completed: steps(&config, None).len(),
        config,
        shard: None,
        healthy: first.healthy.clone(),
        rows,
        tau_rows,
        pathway_rows,
        superclass_rows,
        synapses,
        divergence_rows,
        battery_rows,
        damage_rows,
    };
    Ok(merged)
}

/// Writes the merged folder: the pictures the report draws, the record, the tables, run.json.
fn write_merged(
    merged: &RunRecord,
    parts: &[(&Path, RunRecord)],
    dirs: &[&Path],
    out: &Path,
) -> Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    for (d, _) in parts {
        copy_pictures(d, out)?;
    }
    merged.save(out)?;
    merged.write_tables(out)?;
    let v = serde_json::json!({
        "atrophy_version": env!("CARGO_PKG_VERSION"),
            "format_version": crate::results::FORMAT_VERSION,
        "config": merged.config,
        "seed": merged.config.seed,
        "merged_from": dirs.iter().map(|d| d.display().to_string()).collect::<Vec<_>>(),
        "steps_total": merged.completed,
        "steps_completed": merged.completed,
        "finished": true,
        "synapses": merged.synapses,
    });
    crate::fsio::write_atomic(
        &out.join("run.json"),
        serde_json::to_string_pretty(&v)?.as_bytes(),
    )?;
    Ok(())
}

/// Refuses an output folder that is one of the inputs, lies inside one or holds one: a merge
/// writes over the files it reads (copying a file onto itself empties it), and a folder that
/// holds a results folder is not one results folder. Paths are compared resolved (symbolic
/// links, `..`), so two spellings of one folder are one folder.
pub fn refuse_overlap(dirs: &[&Path], out: &Path) -> Result<()> {
    let out_real = resolved(out);
    for d in dirs {
        let d_real = resolved(d);
        let relation = if d_real == out_real {
            "is"
        } else if out_real.starts_with(&d_real) {
            "lies inside"
        } else if d_real.starts_with(&out_real) {
            "holds"
        } else {
            continue;
        };
        bail!(
            "--out {} {relation} the input {}: merging into an input would overwrite what it \
             reads; give a folder apart from every input (e.g. {})",
            out.display(),
            d.display(),
            d_real
                .parent()
                .unwrap_or(Path::new("."))
                .join("merged")
                .display()
        );
    }
    Ok(())
}

/// `path` made absolute with its existing part resolved (symbolic links, `.` and `..`), and
/// the part that does not exist yet applied to it as creating it would: a name goes down, `..`
/// goes up (`x/new/../a` is `x/a`).
fn resolved(path: &Path) -> std::path::PathBuf {
    use std::path::Component;
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut existing = abs.as_path();
    // The components past the existing part, last first: Some(name), or None for `..`.
    let mut rest: Vec<Option<std::ffi::OsString>> = Vec::new();
    loop {
        if let Ok(mut real) = existing.canonicalize() {
            for c in rest.iter().rev() {
                match c {
                    Some(name) => real.push(name),
                    None => {
                        real.pop();
                    }
                }
            }
            return real;
        }
        match existing.components().next_back() {
            Some(Component::Normal(name)) => rest.push(Some(name.to_owned())),
            Some(Component::ParentDir) => rest.push(None),
            Some(Component::CurDir) => {}
            _ => return abs,
        }
        match existing.parent() {
            Some(parent) => existing = parent,
            None => return abs,
        }
    }
}

/// Copies `from` to `to` atomically (a stop leaves the old file or the new one, never a part).
fn copy_file(from: &Path, to: &Path) -> Result<()> {
    let bytes = std::fs::read(from).with_context(|| format!("reading {}", from.display()))?;
    crate::fsio::write_atomic(to, &bytes).with_context(|| format!("writing {}", to.display()))
}

/// Copies what the report draws besides the tables: the CKA matrices and layer names, the RDMs
/// (cycle 0, the healthy one and the images' labels) and the healthy model's training log.
fn copy_pictures(from: &Path, out: &Path) -> Result<()> {
    for sub in ["cka", "rdm"] {
        let dir = from.join(sub);
        if dir.is_dir() {
            let entries =
                std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))?;
            for e in entries {
                let e = e.with_context(|| format!("reading {}", dir.display()))?;
                if e.path().is_file() {
                    copy_file(&e.path(), &out.join(sub).join(e.file_name()))?;
                }
            }
        }
    }
    // The healthy model's training log: in the folder of a whole run, or beside the shards in
    // the experiment folder (the healthy stage trains it once there).
    let log = [Some(from), from.parent()]
        .into_iter()
        .flatten()
        .map(|d| d.join("healthy").join("train_log.csv"))
        .find(|l| l.is_file());
    let to = out.join("healthy").join("train_log.csv");
    if let (Some(log), false) = (log, to.exists()) {
        copy_file(&log, &to)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_as_i_of_n() {
        assert_eq!(parse_shard("0/4"), Ok((0, 4)));
        assert_eq!(parse_shard(" 3 / 4 "), Ok((3, 4)));
        for bad in ["4/4", "1/0", "1", "a/2", "-1/2", "1/2/3"] {
            let e = parse_shard(bad).unwrap_err();
            assert!(
                e.contains(&format!("`{bad}`")) && e.contains("0 <= i < n"),
                "{e}"
            );
        }
    }
}
