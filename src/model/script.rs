//! TorchScript models (`[healthy] torchscript = "model.pt"`): any network a user saved with
//! `torch.jit.script` or `torch.jit.trace`, injured, retrained and measured like the built-in
//! ones.
//!
//! The module's parameters and buffers are registered in the [`nn::VarStore`] under their
//! PyTorch names (`layer1.0.conv1.weight`, `layer1.0.bn1.running_mean`), sharing storage with
//! the module: the masked optimizer, snapshots, checkpoints and synapse injuries all work on the
//! VarStore and so on the module itself. tch's `TrainableCModule` does this for parameters only
//! (under names with `_` for `.`); BatchNorm's running statistics are buffers, which tch does not
//! expose, so a small C++ shim (script_shim.cpp) lists them.
use super::arch::ScriptArch;
use super::error::ModelError;
use std::cell::{Cell, RefCell};
use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::path::Path;
use tch::{jit::CModule, jit::IValue, nn, Device, Kind, Tensor};

extern "C" {
    fn atrophy_named_buffers(
        module: *mut c_void,
        data: *mut c_void,
        f: extern "C" fn(*mut c_void, *const c_char, *mut c_void),
        error: *mut *mut c_char,
    ) -> c_int;
    fn atrophy_has_method(module: *mut c_void, name: *const c_char) -> c_int;
}

/// The `torch::jit::Module*` inside tch's [`CModule`], whose only field it is.
fn raw(m: &CModule) -> *mut c_void {
    const _: () = assert!(std::mem::size_of::<CModule>() == std::mem::size_of::<*mut c_void>());
    // SAFETY: CModule is a struct of one raw pointer (tch 0.26, wrappers/jit.rs); the size
    // assertion above fails the build if that changes.
    unsafe { *(m as *const CModule as *const *mut c_void) }
}

extern "C" fn push_buffer(data: *mut c_void, name: *const c_char, tensor: *mut c_void) {
    // SAFETY: `data` is the Vec passed by `named_buffers`; `tensor` a new at::Tensor handle.
    let out = unsafe { &mut *(data as *mut Vec<(String, Tensor)>) };
    let name = unsafe { CStr::from_ptr(name) }
        .to_string_lossy()
        .into_owned();
    out.push((name, unsafe {
        Tensor::from_ptr(tensor as *mut torch_sys::C_tensor)
    }));
}

/// Every buffer of the module and its submodules under PyTorch's `named_buffers()` names.
pub(super) fn named_buffers(m: &CModule) -> Result<Vec<(String, Tensor)>, String> {
    let mut out: Vec<(String, Tensor)> = Vec::new();
    let mut error: *mut c_char = std::ptr::null_mut();
    // SAFETY: the shim only reads the module and calls back with owned handles.
    let rc = unsafe {
        atrophy_named_buffers(
            raw(m),
            &mut out as *mut _ as *mut c_void,
            push_buffer,
            &mut error,
        )
    };
    if rc != 0 {
        let msg = unsafe { CStr::from_ptr(error) }
            .to_string_lossy()
            .into_owned();
        unsafe { libc_free(error as *mut c_void) };
        return Err(msg);
    }
    Ok(out)
}

extern "C" {
    #[link_name = "free"]
    fn libc_free(p: *mut c_void);
}

fn has_method(m: &CModule, name: &str) -> bool {
    let name = CString::new(name).expect("method names have no NUL");
    // SAFETY: read-only lookup of a method by name.
    unsafe { atrophy_has_method(raw(m), name.as_ptr()) == 1 }
}

/// The method a scripted module defines to expose its layers to CKA, RDMs and pathways.
pub const ACTIVATIONS_METHOD: &str = "activations";

/// A loaded TorchScript module whose parameters and buffers live in a VarStore.
pub struct ScriptNet {
    module: RefCell<CModule>,
    training: Cell<Option<bool>>,
    file: std::path::PathBuf,
    has_activations: bool,
}

fn err(file: &Path, message: impl Into<String>) -> ModelError {
    ModelError::TorchScript {
        file: file.to_path_buf(),
        message: message.into(),
    }
}

/// Registers `t` in `root` under the dotted `name`, splitting it into VarStore path parts.
fn register(root: &nn::Path, name: &str, t: Tensor, trainable: bool) {
    let mut parts: Vec<&str> = name.split('.').collect();
    let last = parts.pop().expect("split yields one part at least");
    let parent = parts.iter().fold(None, |p: Option<nn::Path>, s| {
        Some(p.map_or_else(|| root.sub(*s), |p| p.sub(*s)))
    });
    let _shared = parent.as_ref().unwrap_or(root).add(last, t, trainable);
}

impl ScriptNet {
    /// Loads `file` onto `root`'s device and registers its parameters (trainable) and buffers
    /// (not trainable) in `root`'s VarStore under their PyTorch names.
    pub fn load(root: &nn::Path, file: &Path) -> Result<ScriptNet, ModelError> {
        if !file.is_file() {
            return Err(err(
                file,
                "not found: expected a TorchScript file saved by `torch.jit.save`",
            ));
        }
        let module = CModule::load_on_device(file, root.device()).map_err(|e| {
            err(
                file,
                format!("not a TorchScript module (expected a file written by `torch.jit.save` of a scripted or traced model): {e}"),
            )
        })?;
        let params = module
            .named_parameters()
            .map_err(|e| err(file, e.to_string()))?;
        for (name, t) in params {
            register(root, &name, t, true);
        }
        for (name, t) in named_buffers(&module).map_err(|e| err(file, e))? {
            register(root, &name, t, false);
        }
        Ok(ScriptNet {
            has_activations: has_method(&module, ACTIVATIONS_METHOD),
            module: RefCell::new(module),
            training: Cell::new(None),
            file: file.to_path_buf(),
        })
    }

    /// Every buffer of the module under its PyTorch name, as handles sharing its storage.
    pub(super) fn buffers(&self) -> Result<Vec<(String, Tensor)>, ModelError> {
        named_buffers(&self.module.borrow()).map_err(|e| err(&self.file, e))
    }

    /// The file the module was loaded from.
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// Whether the module defines `activations(x) -> Dict[str, Tensor]`.
    pub fn has_activations(&self) -> bool {
        self.has_activations
    }

    fn set_mode(&self, train: bool) {
        if self.training.get() != Some(train) {
            let mut m = self.module.borrow_mut();
            if train {
                m.set_train()
            } else {
                m.set_eval()
            }
            self.training.set(Some(train));
        }
    }

    /// The logits for `x`; `train` switches the module (BatchNorm, dropout) to train mode.
    pub fn forward(&self, x: &Tensor, train: bool) -> Result<Tensor, ModelError> {
        self.set_mode(train);
        self.module
            .borrow()
            .forward_ts(&[x])
            .map_err(|e| err(&self.file, format!("forward failed: {}", reason(&e))))
    }

    /// The named outputs of `activations(x)`, in the order the method returns them.
    pub fn activations(
        &self,
        x: &Tensor,
        train: bool,
    ) -> Result<Vec<(String, Tensor)>, ModelError> {
        if !self.has_activations {
            return Err(ModelError::NoActivations {
                file: self.file.clone(),
            });
        }
        self.set_mode(train);
        let out = self
            .module
            .borrow()
            .method_is(ACTIVATIONS_METHOD, &[IValue::Tensor(x.shallow_clone())])
            .map_err(|e| err(&self.file, format!("`activations` failed: {}", reason(&e))))?;
        let bad = |what: &str| {
            err(
                &self.file,
                format!("`activations(x)` returned {what}: expected a Dict[str, Tensor]"),
            )
        };
        let IValue::GenericDict(entries) = out else {
            return Err(bad(&format!("a {}", ivalue_kind(&out))));
        };
        entries
            .into_iter()
            .map(|(k, v)| match (k, v) {
                (IValue::String(k), IValue::Tensor(t)) => Ok((k, t)),
                (k, v) => Err(bad(&format!(
                    "a {} -> {} entry",
                    ivalue_kind(&k),
                    ivalue_kind(&v)
                ))),
            })
            .collect()
    }

    /// Writes the module, with the current values of its parameters and buffers, as a
    /// TorchScript file that `torch.jit.load` opens.
    pub fn save(&self, file: &Path) -> Result<(), ModelError> {
        self.module
            .borrow()
            .save(file)
            .map_err(|e| err(file, format!("cannot write the TorchScript module: {e}")))
    }
}

/// The line of a TorchScript interpreter error that says what went wrong (its last), without
/// the serialized-code traceback before it.
fn reason(e: &tch::TchError) -> String {
    let text = e.to_string();
    text.lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("unknown error")
        .to_string()
}

fn ivalue_kind(v: &IValue) -> &'static str {
    match v {
        IValue::Tensor(_) => "Tensor",
        IValue::String(_) => "str",
        IValue::GenericDict(_) => "Dict",
        IValue::GenericList(_) | IValue::TensorList(_) => "List",
        IValue::Tuple(_) => "Tuple",
        IValue::None => "None",
        _ => "value of another type",
    }
}

/// The model's synapses (every `*.weight` parameter of 2 or more dimensions, by layer, with its
/// shape) and its parameter count; an error when it has no synapse to injure.
#[allow(clippy::type_complexity)]
fn synapses_and_parameters(
    net: &ScriptNet,
    file: &Path,
) -> Result<(Vec<(String, Vec<usize>)>, usize), ModelError> {
    let mut synapses: Vec<(String, Vec<usize>)> = net
        .module
        .borrow()
        .named_parameters()
        .map_err(|e| err(file, e.to_string()))?
        .into_iter()
        .filter(|(n, t)| n.ends_with(".weight") && t.dim() >= 2)
        .map(|(n, t)| {
            let layer = n.trim_end_matches(".weight").to_string();
            (layer, t.size().iter().map(|&d| d as usize).collect())
        })
        .collect();
    synapses.dedup_by(|a, b| a.0 == b.0);
    if synapses.is_empty() {
        return Err(err(
            file,
            "the model has no convolution or linear weights (parameters named `*.weight` with 2 or more dimensions) to injure",
        ));
    }
    let parameters = net
        .module
        .borrow()
        .named_parameters()
        .map_err(|e| err(file, e.to_string()))?
        .iter()
        .map(|(_, t)| t.numel())
        .sum();
    Ok((synapses, parameters))
}

/// A forward pass in eval mode on two zero images of the data set's shape, in the memory layout
/// training will hand the model: an error names the file and both shapes when the model cannot
/// take them or does not return one logit per class. Returns the layers `activations(x)` names.
fn probe(
    net: &ScriptNet,
    file: &Path,
    channels: usize,
    size: usize,
    classes: usize,
) -> Result<Vec<String>, ModelError> {
    let x = Tensor::zeros(
        [2, channels as i64, size as i64, size as i64],
        (Kind::Float, Device::Cpu),
    );
    // In the memory layout training and evaluation will hand it, so that a model that cannot
    // take it fails here, naming the file, not in the middle of a run.
    let channels_last = crate::train::fit::channels_last(Device::Cpu);
    let x = if channels_last {
        crate::train::fit::to_channels_last(&x)
    } else {
        x
    };
    let layout = if channels_last {
        "; atrophy hands the CPU batches in channels-last memory layout: a model that calls \
         .view() on its input needs .reshape() or .contiguous() (or set ATROPHY_CHANNELS_LAST=0)"
    } else {
        ""
    };
    let (logits, layers) = tch::no_grad(|| -> Result<_, ModelError> {
        let logits = net.forward(&x, false).map_err(|e| match e {
            ModelError::TorchScript { message, .. } => err(
                file,
                format!("the model does not take the data set's images (N x {channels} x {size} x {size}, float32{layout}): {message}"),
            ),
            e => e,
        })?;
        let layers = if net.has_activations() {
            net.activations(&x, false)?
                .into_iter()
                .map(|(n, _)| n)
                .collect()
        } else {
            Vec::new()
        };
        Ok((logits, layers))
    })?;
    if logits.size() != [2, classes as i64] {
        return Err(err(
            file,
            format!(
                "for a batch of 2 images of {channels} x {size} x {size} the model returns a tensor of shape {:?}; the data set has {classes} classes, so expected [2, {classes}]",
                logits.size()
            ),
        ));
    }
    Ok(layers)
}

/// Describes the TorchScript model in `file` for inputs of `channels` x `size` x `size` and
/// `classes` classes: its synapses (the `weight` of every convolution and linear layer, that is
/// every parameter named `*.weight` with 2 or more dimensions), parameter count, whether it has
/// BatchNorm buffers, and the layers `activations(x)` returns. A probe forward pass in eval mode
/// on two zero images checks that the model takes the data set's images and returns one logit
/// per class; either mismatch is an error naming both shapes.
pub fn describe(
    file: &Path,
    channels: usize,
    size: usize,
    classes: usize,
    normalize: bool,
) -> Result<(ScriptArch, bool), ModelError> {
    let bytes = std::fs::read(file).map_err(|e| {
        err(
            file,
            format!("{e}: expected a TorchScript file saved by `torch.jit.save`"),
        )
    })?;
    let sha256 = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes));
    let vs = nn::VarStore::new(Device::Cpu);
    let net = ScriptNet::load(&vs.root(), file)?;
    let vars = vs.variables();
    let (synapses, parameters) = synapses_and_parameters(&net, file)?;
    let batch_norm = vars.keys().any(|k| k.ends_with(".running_mean"));
    let layers = probe(&net, file, channels, size, classes)?;
    Ok((
        ScriptArch {
            file: file.to_path_buf(),
            sha256,
            synapses,
            parameters,
            layers,
            normalize,
        },
        batch_norm,
    ))
}

/// The [`Architecture`](super::Architecture) of the TorchScript model in `file` for the data
/// set's images (see [`describe`]).
pub fn architecture(
    file: &Path,
    channels: usize,
    size: usize,
    classes: usize,
    normalize: bool,
) -> Result<super::Architecture, ModelError> {
    let (script, batch_norm) = describe(file, channels, size, classes, normalize)?;
    Ok(super::Architecture {
        kind: "torchscript".into(),
        widths: String::new(),
        batch_norm,
        hidden: Vec::new(),
        dropout: 0.0,
        in_channels: channels,
        image_size: size,
        num_classes: classes,
        activation: super::Activation::Relu,
        torchscript: Some(script),
    })
}
