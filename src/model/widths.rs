//! The convolutional widths of the VGG family as text (`64,64,M,...`): named width sets, parsing
//! and formatting, so a compressed model is just other widths.
use super::error::ModelError;

/// One stage of the convolutional part: a 3x3 convolution of the given width, or a 2x2 max-pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// conv3x3 (padding 1) with this many output channels, then [BatchNorm], ReLU.
    Conv(usize),
    /// 2x2 max-pool, stride 2.
    Pool,
}

/// The widths of VGG19 (P1): `64,64,M,128,128,M,256 x4,M,512 x4,M,512 x4,M`.
pub const VGG19_WIDTHS: &str =
    "64,64,M,128,128,M,256,256,256,256,M,512,512,512,512,M,512,512,512,512,M";
/// The benchmark widths (about 1/3 of VGG19's, issue 2).
pub const BENCH_WIDTHS: &str = "22,22,M,44,44,M,88,88,88,88,M,176,176,176,176,M,176,176,176,176,M";

/// The widths a name stands for: `bench` is [`BENCH_WIDTHS`], `full` is [`VGG19_WIDTHS`]; any
/// other string is returned as given (a width list such as `32,M,64,M`).
pub fn widths_by_name(name: &str) -> &str {
    match name.trim() {
        "bench" => BENCH_WIDTHS,
        "full" => VGG19_WIDTHS,
        _ => name,
    }
}

/// Parses `64,64,M,...` into stages.
pub fn parse_widths(s: &str) -> Result<Vec<Stage>, ModelError> {
    s.split(',')
        .map(|t| t.trim())
        .filter(|t| !t.is_empty())
        .map(|t| match t {
            "M" | "m" => Ok(Stage::Pool),
            n => n
                .parse::<usize>()
                .ok()
                .filter(|&w| w > 0)
                .map(Stage::Conv)
                .ok_or_else(|| ModelError::BadWidth {
                    token: t.into(),
                    widths: s.into(),
                }),
        })
        .collect()
}

/// Formats stages back to `64,64,M,...`.
pub fn format_widths(stages: &[Stage]) -> String {
    stages
        .iter()
        .map(|s| match s {
            Stage::Conv(w) => w.to_string(),
            Stage::Pool => "M".into(),
        })
        .collect::<Vec<_>>()
        .join(",")
}
