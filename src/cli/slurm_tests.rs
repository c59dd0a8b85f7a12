//! Tests of `atrophy slurm`: the scripts, their chaining and the refusals.
use super::*;
use clap::Parser;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    args: SlurmArgs,
}

fn args(words: &[&str]) -> SlurmArgs {
    Cli::try_parse_from(std::iter::once("slurm").chain(words.iter().copied()))
        .unwrap()
        .args
}

#[test]
fn scripts_chain_the_healthy_job_the_shard_array_and_the_merge() {
    let dir = tempfile::tempdir().unwrap();
    let exp = dir.path().join("my exp");
    let a = args(&[
        "quick",
        "--shards",
        "3",
        "--out",
        exp.to_str().unwrap(),
        "--partition",
        "gpu",
        "--time",
        "02:00:00",
        "--cpus-per-task",
        "4",
        "--gpus",
        "1",
        "--requeue",
        "--set",
        "cycles=3",
        "--atrophy",
        "/opt/atrophy/bin/atrophy",
    ]);
    let p = plan(&a, "cuda").unwrap();
    let s = scripts(&a, &p);
    let text = |name: &str| s.iter().find(|x| x.name == name).unwrap().text.clone();
    let (healthy, shards, merge, submit) = (
        text("healthy.sbatch"),
        text("shards.sbatch"),
        text("merge.sbatch"),
        text("submit.sh"),
    );
    let q = shell_word(&exp.to_string_lossy());
    assert!(q.starts_with('\''), "a path with a space is quoted: {q}");
    for line in [
        "#SBATCH --job-name=atrophy-quick-healthy",
        "#SBATCH --partition=gpu",
        "#SBATCH --time=02:00:00",
        "#SBATCH --gpus=1",
        "#SBATCH --cpus-per-task=4",
        "#SBATCH --requeue",
        "export ATROPHY_THREADS=\"$SLURM_CPUS_PER_TASK\"",
    ] {
        assert!(healthy.contains(line), "{line}\n{healthy}");
    }
    assert!(healthy.contains(&format!(
        "/opt/atrophy/bin/atrophy --quiet --device cuda run quick --out {q} --set cycles=3 --stage healthy"
    )), "{healthy}");
    assert!(shards.contains("#SBATCH --array=0-2"), "{shards}");
    assert!(shards.contains("%x-%A_%a.out"), "{shards}");
    assert!(
        shards.contains("--set cycles=3 --shard \"$SLURM_ARRAY_TASK_ID/3\""),
        "{shards}"
    );
    assert!(
        !merge.contains("--gpus") && !merge.contains("--time"),
        "{merge}"
    );
    let merged = shell_word(&exp.join("merged").to_string_lossy());
    assert!(
        merge.contains(&format!(
            "merge {} {} {} --out {merged}",
            shell_word(&exp.join("shard-0-of-3").to_string_lossy()),
            shell_word(&exp.join("shard-1-of-3").to_string_lossy()),
            shell_word(&exp.join("shard-2-of-3").to_string_lossy())
        )),
        "{merge}"
    );
    assert!(merge.contains(&format!("report {merged}")), "{merge}");
    assert!(submit.contains("--dependency=afterok:\"${healthy%%;*}\" shards.sbatch"));
    assert!(submit.contains("--dependency=afterok:\"${shards%%;*}\" merge.sbatch"));
    // Every script is valid bash.
    for x in &s {
        let f = dir.path().join(x.name);
        std::fs::write(&f, &x.text).unwrap();
        let st = std::process::Command::new("bash")
            .arg("-n")
            .arg(&f)
            .status()
            .unwrap();
        assert!(st.success(), "{}:\n{}", x.name, x.text);
    }
}

#[test]
fn mistakes_are_refused_with_the_reason() {
    let e = plan(&args(&["quick", "--shards", "0"]), "cpu")
        .err()
        .unwrap();
    assert!(e.to_string().contains("at least 1"), "{e}");
    let e = plan(&args(&["quick", "--shards", "7"]), "cpu")
        .err()
        .unwrap();
    assert!(
        e.to_string()
            .contains("more than the experiment's 3 cycles"),
        "{e}"
    );
    let e = plan(&args(&["no-such-preset", "--shards", "2"]), "cpu")
        .err()
        .unwrap();
    assert!(
        e.to_string().contains("neither a config file nor a preset"),
        "{e}"
    );
    let e = plan(&args(&["quick", "--shards", "1"]), "tpu")
        .err()
        .unwrap();
    assert!(
        e.to_string().contains("--device: unknown device `tpu`"),
        "{e}"
    );
    let e = plan(
        &args(&["quick", "--shards", "1", "--cpus-per-task", "0"]),
        "cpu",
    )
    .err()
    .unwrap();
    assert!(
        e.to_string().contains("--cpus-per-task must be at least 1"),
        "{e}"
    );
    // A GPU the planning machine lacks is the cluster's business.
    assert!(plan(&args(&["quick", "--shards", "1"]), "cuda:1").is_ok());
}

#[test]
fn shell_words_survive_the_shell() {
    for w in ["plain", "with space", "it's", "$HOME", "a\"b", ""] {
        let out = std::process::Command::new("bash")
            .arg("-c")
            .arg(format!("printf %s {}", shell_word(w)))
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), w);
    }
}
