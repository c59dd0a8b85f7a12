//! Mixed precision: training steps under autocast, as `torch.autocast(device,
//! dtype=torch.bfloat16)` runs them. Convolutions and matrix products compute in bfloat16 from
//! the float32 weights (which stay float32, as do the optimizer, its momentum and every
//! injury); operations autocast keeps in float32 stay there. On a CPU with AVX512-BF16 (the
//! project's 2-core machine of 2026-12-06) a training step runs about 1.5 times as fast as in
//! float32 (bench/RESULTS.md, 2026-12-06); on a CPU without it bfloat16 is emulated and a step
//! is about 11 times slower (2026-12-07, AVX2 only; PyTorch alike), which the commands that
//! train warn of ([`bf16_slow_warning`]). On a
//! CUDA device it turns on CUDA's autocast the same way, without PyTorch's check that the GPU
//! has bfloat16: not run on a GPU yet. Evaluation and the analyses always run in float32. Built-in
//! models only: see [`TORCHSCRIPT_FP32_ONLY`].
use serde::{Deserialize, Serialize};

/// The arithmetic of training steps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// Everything in float32.
    #[default]
    Fp32,
    /// Autocast to bfloat16 (float32 weights, bfloat16 convolutions and matrix products).
    Bf16,
}

impl Precision {
    /// Whether this is the default, float32 (configs leave it out).
    pub fn is_fp32(&self) -> bool {
        *self == Precision::Fp32
    }
}

/// Whether this CPU computes in bfloat16 natively: on x86-64, AVX512-BF16 (which the CPUs with
/// AMX have too); None on other architectures, where atrophy does not check.
pub fn cpu_has_bf16() -> Option<bool> {
    #[cfg(target_arch = "x86_64")]
    {
        Some(std::arch::is_x86_feature_detected!("avx512bf16"))
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        None
    }
}

/// The warning for training steps in `precision` on a CPU (`on_cpu`) whose bfloat16 support is
/// `native` ([`cpu_has_bf16`]): None but for bf16 on a CPU known to lack it, where autocast's
/// bfloat16 convolutions are emulated and a training step is several times slower than in
/// float32 (bench/RESULTS.md, 2026-12-07: about 11 times on a CPU with AVX2 only, PyTorch's
/// autocast alike).
pub fn bf16_slow_warning(
    precision: Precision,
    on_cpu: bool,
    native: Option<bool>,
) -> Option<String> {
    (precision == Precision::Bf16 && on_cpu && native == Some(false)).then(|| {
        "warning: precision bf16 on a CPU without AVX512-BF16: bfloat16 is emulated here, and a \
         training step takes about 11 times as long as in fp32 (bench/RESULTS.md, mixed \
         precision); use fp32 on this machine unless the run must match a bf16 one"
            .to_string()
    })
}

/// Prints [`bf16_slow_warning`] to stderr when it applies to training in `precision` on
/// `device` on this machine: what `atrophy train`, `run` and `reproduce` say before they train.
#[cfg(feature = "torch")]
pub fn warn_if_emulated(precision: Precision, device: tch::Device) {
    if let Some(w) = bf16_slow_warning(precision, device == tch::Device::Cpu, cpu_has_bf16()) {
        eprintln!("{w}");
    }
}

/// Why a TorchScript model trains in float32 only: a traced module calls
/// `aten::_convolution`, which autocast does not cast; on a CPU with AVX512-BF16 it fails on
/// the bfloat16 inputs the autocast layers before it give, and on one without it runs (the
/// 2026-12-07 machine, AVX2 only) in arithmetic no benchmark measured. One rule on every
/// machine: a config that trains on one does not fail on another.
pub const TORCHSCRIPT_FP32_ONLY: &str = "fp32 for a TorchScript model (a traced module's \
     convolutions are beyond autocast's reach, and on a CPU with AVX512-BF16 they fail on \
     bfloat16 inputs); bf16 applies to the built-in models";

/// Runs `f` with autocast to bfloat16 on `device` when `precision` is [`Precision::Bf16`],
/// else as it is; the autocast state before the call is restored after it. Autocast keeps the
/// bfloat16 copies of the weights it casts until the outermost region ends, so a weight changed
/// in place (an optimizer step, an injury) is seen by the next region, not later in the same
/// one: the training loop opens one region per forward pass.
#[cfg(feature = "torch")]
pub fn autocast<T>(precision: Precision, device: tch::Device, f: impl FnOnce() -> T) -> T {
    match precision {
        Precision::Fp32 => f(),
        Precision::Bf16 => {
            let _guard = Autocast::enter(device);
            f()
        }
    }
}

#[cfg(feature = "torch")]
extern "C" {
    fn atrophy_autocast_enter(
        cuda: std::ffi::c_int,
        was_enabled: *mut std::ffi::c_int,
        was_dtype: *mut std::ffi::c_int,
        error: *mut *mut std::ffi::c_char,
    ) -> std::ffi::c_int;
    fn atrophy_autocast_exit(
        cuda: std::ffi::c_int,
        was_enabled: std::ffi::c_int,
        was_dtype: std::ffi::c_int,
    );
    #[link_name = "free"]
    fn libc_free(p: *mut std::ffi::c_void);
}

/// Autocast to bfloat16 on one device type while it lives (src/train/autocast_shim.cpp).
#[cfg(feature = "torch")]
struct Autocast {
    cuda: std::ffi::c_int,
    was_enabled: std::ffi::c_int,
    was_dtype: std::ffi::c_int,
}

#[cfg(feature = "torch")]
impl Autocast {
    fn enter(device: tch::Device) -> Autocast {
        let cuda = std::ffi::c_int::from(device.is_cuda());
        let (mut was_enabled, mut was_dtype) = (0, 0);
        let mut error = std::ptr::null_mut();
        // SAFETY: the shim writes the three out-pointers, which live on this stack frame.
        let rc =
            unsafe { atrophy_autocast_enter(cuda, &mut was_enabled, &mut was_dtype, &mut error) };
        if rc != 0 {
            // SAFETY: on failure the shim set `error` to a malloc'ed C string, or to null
            // where strdup found no memory.
            let msg = if error.is_null() {
                String::from("(no message)")
            } else {
                let m = unsafe { std::ffi::CStr::from_ptr(error) }
                    .to_string_lossy()
                    .into_owned();
                // SAFETY: the shim's strdup; read above, not used again.
                unsafe { libc_free(error.cast()) };
                m
            };
            panic!("libtorch refused autocast on {device:?}: {msg}");
        }
        Autocast {
            cuda,
            was_enabled,
            was_dtype,
        }
    }
}

#[cfg(feature = "torch")]
impl Drop for Autocast {
    fn drop(&mut self) {
        // SAFETY: restores the state `enter` read; no pointers.
        unsafe { atrophy_autocast_exit(self.cuda, self.was_enabled, self.was_dtype) }
    }
}

#[cfg(all(test, feature = "torch"))]
mod tests {
    use super::*;
    use tch::{Device, Kind, Tensor};

    fn conv_kind() -> Kind {
        let x = Tensor::ones([1, 2, 4, 4], (Kind::Float, Device::Cpu));
        let w = Tensor::ones([3, 2, 3, 3], (Kind::Float, Device::Cpu));
        x.conv2d::<Tensor>(&w, None, [1, 1], [1, 1], [1, 1], 1)
            .kind()
    }

    #[test]
    fn bf16_warns_only_on_a_cpu_known_to_lack_it() {
        use super::Precision::{Bf16, Fp32};
        assert!(bf16_slow_warning(Bf16, true, Some(false))
            .is_some_and(|w| w.contains("AVX512-BF16") && w.contains("fp32")));
        for (p, cpu, native) in [
            (Bf16, true, Some(true)),
            (Bf16, true, None),
            (Bf16, false, Some(false)),
            (Fp32, true, Some(false)),
        ] {
            assert_eq!(
                bf16_slow_warning(p, cpu, native),
                None,
                "{p:?} {cpu} {native:?}"
            );
        }
    }

    #[test]
    fn bf16_runs_convolutions_in_bfloat16_and_restores_float32_after() {
        assert_eq!(conv_kind(), Kind::Float);
        assert_eq!(
            autocast(Precision::Bf16, Device::Cpu, conv_kind),
            Kind::BFloat16
        );
        assert_eq!(conv_kind(), Kind::Float, "autocast left on after the call");
        assert_eq!(
            autocast(Precision::Fp32, Device::Cpu, conv_kind),
            Kind::Float
        );
    }

    #[test]
    fn nested_autocast_restores_the_outer_state() {
        let inner_then_outer = autocast(Precision::Bf16, Device::Cpu, || {
            let inner = autocast(Precision::Bf16, Device::Cpu, conv_kind);
            (inner, conv_kind())
        });
        assert_eq!(inner_then_outer, (Kind::BFloat16, Kind::BFloat16));
        assert_eq!(conv_kind(), Kind::Float);
    }

    #[test]
    fn a_weight_changed_in_place_between_regions_is_seen_by_the_next() {
        let x = Tensor::ones([1, 2, 4, 4], (Kind::Float, Device::Cpu));
        let w = Tensor::ones([3, 2, 3, 3], (Kind::Float, Device::Cpu)).set_requires_grad(true);
        let conv = || {
            tch::no_grad(|| x.conv2d::<Tensor>(&w, None, [1, 1], [1, 1], [1, 1], 1))
                .to_kind(Kind::Float)
        };
        let before = autocast(Precision::Bf16, Device::Cpu, conv);
        tch::no_grad(|| {
            let _ = w.shallow_clone().fill_(2.0);
        });
        let after = autocast(Precision::Bf16, Device::Cpu, conv);
        assert!(after.allclose(&(&before * 2.0), 0.0, 0.0, false));
        // Within one region the cast copy stays: the change shows only in the next region.
        let (first, second) = autocast(Precision::Bf16, Device::Cpu, || {
            let first = conv();
            tch::no_grad(|| {
                let _ = w.shallow_clone().fill_(3.0);
            });
            (first, conv())
        });
        assert!(
            second.equal(&first),
            "autocast cast the weight again within the region"
        );
        assert!(first.allclose(&(&before * 2.0), 0.0, 0.0, false));
    }

    #[test]
    fn training_steps_give_float32_logits_from_bfloat16_layers() {
        use crate::model::{Architecture, Network};
        use crate::train::fit::{step_logits, training_loss};
        tch::manual_seed(0);
        let vs = tch::nn::VarStore::new(Device::Cpu);
        let net = Network::new(&vs.root(), &Architecture::small_cnn(10)).unwrap();
        let x = Tensor::randn([4, 1, 28, 28], (Kind::Float, Device::Cpu));
        let y = Tensor::from_slice(&[0i64, 1, 2, 3]);
        let fp32 = step_logits(&net, &x, Precision::Fp32, Device::Cpu);
        let bf16 = step_logits(&net, &x, Precision::Bf16, Device::Cpu);
        assert_eq!((fp32.kind(), bf16.kind()), (Kind::Float, Kind::Float));
        assert!(!bf16.equal(&fp32), "the layers did not run in bfloat16");
        assert!(bf16.allclose(&fp32, 0.05, 0.05, false));
        // The smoothed loss of those logits is float32 too (outside autocast it would
        // follow a bfloat16 input).
        assert_eq!(training_loss(&bf16, &y, 0.1).kind(), Kind::Float);
    }

    #[test]
    fn precision_reads_as_configs_write_it() {
        #[derive(serde::Deserialize)]
        struct C {
            precision: Precision,
        }
        let c: C = toml::from_str("precision = \"bf16\"").unwrap();
        assert_eq!(c.precision, Precision::Bf16);
        let e = toml::from_str::<C>("precision = \"fp16\"")
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("fp32") && e.contains("bf16"), "{e}");
    }
}
