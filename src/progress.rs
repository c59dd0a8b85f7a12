//! Progress bars, shown only when stderr is a terminal (indicatif hides them otherwise).
use indicatif::{ProgressBar, ProgressStyle};

/// A bar counting bytes, with rate and ETA.
pub fn bytes_bar(total: Option<u64>, label: &str) -> ProgressBar {
    let bar = ProgressBar::new(total.unwrap_or(0));
    bar.set_style(
        ProgressStyle::with_template(
            "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}",
        )
        .unwrap()
        .progress_chars("=> "),
    );
    bar.set_message(label.to_string());
    bar
}

/// A bar counting steps, with a message slot for live figures (loss, accuracy) and an ETA.
pub fn steps_bar(total: u64, label: &str) -> ProgressBar {
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {msg} ({elapsed} < {eta})")
            .unwrap()
            .progress_chars("=> "),
    );
    bar.set_prefix(label.to_string());
    bar
}

/// [`steps_bar`] when `show`, else a hidden bar (`--quiet`, or nothing to count).
pub fn steps_bar_if(show: bool, total: u64, label: &str) -> ProgressBar {
    if show {
        steps_bar(total, label)
    } else {
        ProgressBar::hidden()
    }
}

/// Prints a line that must reach the user whether or not bars are shown (a warning, a finished
/// epoch's figures): above `bar`, or on stderr when the bar is hidden (`--quiet`, or stderr is
/// not a terminal: a log file), where the bar's own `println` would print nothing.
pub fn say(bar: &indicatif::ProgressBar, message: String) {
    if bar.is_hidden() {
        eprintln!("{message}");
    } else {
        bar.println(message);
    }
}
