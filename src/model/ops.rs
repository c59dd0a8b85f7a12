//! What a named layer computes ([`Op`]), and what it costs: trainable parameters and
//! multiply-accumulates per image.
use super::arch::LayerSpec;

/// What a named layer computes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Op {
    /// Square convolution with bias, padding kernel / 2 (3x3 stride 1 in the VGG family).
    Conv {
        /// Input channels.
        cin: usize,
        /// Output channels.
        cout: usize,
        /// Kernel side.
        kernel: usize,
        /// Stride.
        stride: usize,
    },
    /// Batch normalisation over channels.
    BatchNorm {
        /// Channels.
        channels: usize,
    },
    /// ReLU.
    Relu,
    /// Parametric ReLU with one learned slope per channel.
    PRelu {
        /// Channels (features after a dense layer).
        channels: usize,
    },
    /// Max-pool (2x2 stride 2 in the VGG family; 3x3 stride 2 padding 1 in CORnet-Z).
    MaxPool {
        /// Window side.
        kernel: usize,
        /// Stride.
        stride: usize,
        /// Padding on every side.
        padding: usize,
    },
    /// Global average pool (output flattened to the channels).
    AvgPool,
    /// Dense layer (its input is flattened first).
    Linear {
        /// Input features.
        fin: usize,
        /// Output features.
        fout: usize,
    },
    /// Dropout (identity in evaluation).
    Dropout {
        /// Drop probability.
        p: f64,
    },
}

impl Op {
    /// A short description for tables: `conv 3x3/1 3->64`, `maxpool 3x3/2 pad 1`, `linear
    /// 512->10`, ...
    pub fn describe(&self) -> String {
        match *self {
            Op::Conv {
                cin,
                cout,
                kernel,
                stride,
            } => format!("conv {kernel}x{kernel}/{stride} {cin}->{cout}"),
            Op::BatchNorm { channels } => format!("batchnorm {channels}"),
            Op::Relu => "relu".into(),
            Op::PRelu { channels } => format!("prelu {channels}"),
            Op::MaxPool {
                kernel,
                stride,
                padding: 0,
            } => format!("maxpool {kernel}x{kernel}/{stride}"),
            Op::MaxPool {
                kernel,
                stride,
                padding,
            } => format!("maxpool {kernel}x{kernel}/{stride} pad {padding}"),
            Op::AvgPool => "global avgpool".into(),
            Op::Linear { fin, fout } => format!("linear {fin}->{fout}"),
            Op::Dropout { p } => format!("dropout {p}"),
        }
    }

    /// The VGG family's 2x2 max-pool with stride 2.
    pub const VGG_POOL: Op = Op::MaxPool {
        kernel: 2,
        stride: 2,
        padding: 0,
    };
}

/// Trainable parameters of one layer.
pub fn layer_params(op: &Op) -> usize {
    match *op {
        Op::Conv {
            cin, cout, kernel, ..
        } => cin * cout * kernel * kernel + cout,
        Op::BatchNorm { channels } => 2 * channels,
        Op::PRelu { channels } => channels,
        Op::Linear { fin, fout } => fin * fout + fout,
        _ => 0,
    }
}

/// Multiply-accumulates of one layer for one image.
pub fn layer_flops(l: &LayerSpec) -> usize {
    match l.op {
        Op::Conv {
            cin, cout, kernel, ..
        } => cin * cout * kernel * kernel * l.out_shape[1] * l.out_shape[2],
        Op::Linear { fin, fout } => fin * fout,
        _ => 0,
    }
}
