//! The `atrophy` binary: parses the command line and hands over to the library.
use atrophy::cli::{Cli, Command};
use clap::Parser;
use std::io::IsTerminal;

fn main() {
    // A closed pipe (`atrophy ... | head`) ends the program quietly, as other command-line
    // tools do, instead of a panic from println!.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: restoring the default disposition of SIGPIPE before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    atrophy::malloc::tune();
    let cli = Cli::parse();
    if let Err(e) = run(cli) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let progress = !cli.quiet && std::io::stderr().is_terminal();
    #[cfg(feature = "torch")]
    if let Some(t) = cli.threads {
        tch::set_num_threads(t);
    }
    match &cli.command {
        #[cfg(feature = "torch")]
        Command::Train(a) => atrophy::cli::train::run_train(a, device(&cli)?, progress),
        #[cfg(feature = "torch")]
        Command::Eval(a) => atrophy::cli::train::run_eval(a, device(&cli)?),
        #[cfg(feature = "torch")]
        Command::Run(a) => atrophy::cli::run::run(a, device(&cli)?, progress),
        #[cfg(feature = "torch")]
        Command::Merge(a) => atrophy::cli::run::merge(a),
        #[cfg(feature = "torch")]
        Command::Reproduce(a) => atrophy::cli::reproduce::run_reproduce(a, device(&cli)?, progress),
        #[cfg(feature = "torch")]
        Command::Slurm(a) => atrophy::cli::slurm::run(a, &cli.device),
        Command::Report(a) => {
            let r = atrophy::report::report(&a.dir, &a.at)?;
            println!(
                "{}{} ({} figures){}",
                r.html.display(),
                if r.finished { "" } else { " (partial results)" },
                r.figures.len(),
                r.markdown
                    .map(|m| format!("; tables in {}", m.display()))
                    .unwrap_or_default()
            );
            Ok(())
        }
        Command::Compare(a) => {
            let c = atrophy::report::compare::compare(&a.runs()?, &a.out, a.at)?;
            for f in &c.figures {
                println!("{}", f.display());
            }
            println!("{}", c.markdown.display());
            for n in &c.notes {
                eprintln!("note: {n}");
            }
            Ok(())
        }
        #[cfg(feature = "torch")]
        Command::Compress(a) => atrophy::cli::compress::run(a, device(&cli)?, progress),
        Command::Info(a) => atrophy::cli::info::run(a),
        Command::Data(c) => atrophy::cli::data::run(c, progress),
        #[cfg(feature = "torch")]
        Command::Activations(a) => atrophy::cli::inspect::run_activations(a, device(&cli)?),
        #[cfg(feature = "torch")]
        Command::Pathways(a) => atrophy::cli::inspect::run_pathways(a),
        Command::Plasticity(a) => atrophy::cli::plasticity::run(a, progress),
        Command::Cka(a) => atrophy::cli::analysis::run_cka(a),
        Command::CkaMatrix(a) => atrophy::cli::analysis::run_cka_matrix(a),
        Command::Rdm(a) => atrophy::cli::analysis::run_rdm(a),
        Command::Kendall(a) => atrophy::cli::analysis::run_kendall(a),
        Command::Rsa(a) => atrophy::cli::analysis::run_rsa(a),
    }
}

#[cfg(feature = "torch")]
fn device(cli: &Cli) -> anyhow::Result<tch::Device> {
    atrophy::device::parse_device(&cli.device).map_err(|e| anyhow::anyhow!("--device: {e}"))
}
