//! `atrophy data fetch|info`.
use crate::data::{self, fetch, locate};
use anyhow::Result;
use clap::{Args, Subcommand};
use std::path::PathBuf;

/// Get and inspect data sets.
#[derive(Subcommand, Debug)]
pub enum DataCommand {
    /// Download a data set from its official source into the cache, checking its published
    /// checksum (sha256; MD5 for CIFAR, as its authors publish it).
    ///
    /// Files land in the cache folder's NAME/ ($ATROPHY_CACHE/NAME, else the platform's user
    /// cache, e.g. ~/.cache/atrophy/NAME on Linux), where every command finds them. A file whose checksum does not match is discarded, never cached.
    ///
    /// Example: atrophy data fetch cifar10
    Fetch(FetchArgs),
    /// Show where a data set is found, its size, classes and pixel statistics.
    ///
    /// Example: atrophy data info fashion-mnist
    Info(InfoArgs),
}

/// Arguments of `data fetch`.
#[derive(Args, Debug)]
pub struct FetchArgs {
    /// cifar10, cifar100, mnist or fashion-mnist.
    pub name: String,
    /// Download from this base URL instead of the official source (files are fetched as
    /// MIRROR/FILE and still checked against the official checksums).
    #[arg(long, env = "ATROPHY_MIRROR")]
    pub mirror: Option<String>,
    /// Folder to download into (default: the cache folder for NAME).
    #[arg(long)]
    pub dir: Option<PathBuf>,
}

/// Arguments of `data info`.
#[derive(Args, Debug)]
pub struct InfoArgs {
    /// cifar10, cifar100, mnist, fashion-mnist or synthetic.
    pub name: String,
    /// File or folder holding the data set, looked at alone (without it: $ATROPHY_DATA, the
    /// cache, /usr/share/datasets).
    #[arg(long)]
    pub data: Option<PathBuf>,
}

/// Runs a `data` subcommand.
pub fn run(cmd: &DataCommand, progress: bool) -> Result<()> {
    match cmd {
        DataCommand::Fetch(a) => {
            let name = data::canonical_name(&a.name)?;
            let files = fetch::manifest(name, a.mirror.as_deref())?;
            let dir = a
                .dir
                .clone()
                .unwrap_or_else(|| locate::cache_dir().join(name));
            let got = fetch::fetch(&files, &dir, progress)?;
            for p in got {
                println!("{}", p.display());
            }
            Ok(())
        }
        DataCommand::Info(a) => {
            let name = data::canonical_name(&a.name)?;
            let split = data::load(name, a.data.as_deref())?;
            if name != "synthetic" {
                let roots = locate::search_roots(name, a.data.as_deref());
                if let Some(p) = roots.iter().find_map(|r| locate::find_in(name, r)) {
                    println!("location  {}", p.display());
                }
            }
            let t = &split.train;
            println!("data set  {}", split.name);
            println!(
                "images    {} x {} x {} (C x H x W)",
                t.channels, t.height, t.width
            );
            println!("train     {}", t.len());
            println!("test      {}", split.test.len());
            let (mean, std) = t.channel_stats();
            println!("mean      {mean:.4?} (training set, 0-1 scale)");
            println!("std       {std:.4?}");
            println!("classes   (train / test count)");
            let (ct, cs) = (t.class_counts(), split.test.class_counts());
            for (i, c) in t.classes.iter().enumerate() {
                println!("  {i:>2} {c:<12} {:>6} / {}", ct[i], cs[i]);
            }
            Ok(())
        }
    }
}
