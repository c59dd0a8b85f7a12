//! Denoising autoencoders with plastic layers (paper 003): a convolutional encoder and a mirrored
//! transposed-convolution decoder, with a plastic layer after each, against the same network
//! without plastic layers.
//!
//! An episode shows a few clean images, each for `show_steps` time steps followed by
//! `zero_steps` blank steps, then one of them with Gaussian noise added; the loss is the squared
//! error between the output at that last step and the clean image. The plastic layers can store
//! the clean images of the episode in their Hebbian traces and recall them from the noisy copy;
//! the baseline has no memory and sees only the noisy image.
use super::layer::{Activation, Eta, PlasticLinear};
use crate::data::Dataset;
use crate::seed::stream;
use rand::seq::index::sample;
use rand::Rng;
use tch::{nn, nn::Module, nn::ModuleT, nn::OptimizerConfig, Device, Kind, Tensor};

/// Settings of the denoising experiment.
#[derive(Clone, Debug)]
pub struct DenoiseOptions {
    /// Clean images per episode.
    pub images: usize,
    /// Time steps each clean image is shown (t_ns).
    pub show_steps: usize,
    /// Blank time steps after each (t_zs).
    pub zero_steps: usize,
    /// Standard deviation of the Gaussian noise on pixels in [0, 1].
    pub noise_std: f64,
    /// Width of the code between encoder and decoder.
    pub latent: usize,
    /// With plastic layers (false: the baseline).
    pub plastic: bool,
    /// eta of both plastic layers.
    pub eta: Eta,
    /// Optimizer steps.
    pub episodes: usize,
    /// Episodes per step.
    pub batch: usize,
    /// Adam's learning rate.
    pub lr: f64,
    /// Seed of weights and episodes.
    pub seed: u64,
}

impl Default for DenoiseOptions {
    fn default() -> DenoiseOptions {
        DenoiseOptions {
            images: 3,
            show_steps: 3,
            zero_steps: 1,
            noise_std: 0.5,
            latent: 64,
            plastic: true,
            eta: Eta::Learned(0.1),
            episodes: 2000,
            batch: 16,
            lr: 1e-3,
            seed: 0,
        }
    }
}

impl DenoiseOptions {
    /// Checks every setting.
    pub fn validate(&self) -> Result<(), String> {
        self.eta.validate()?;
        if self.images == 0 || self.show_steps == 0 {
            return Err("denoise: images and show_steps must be >= 1".into());
        }
        if self.episodes == 0 || self.batch == 0 || self.latent == 0 {
            return Err("denoise: episodes, batch and latent must be >= 1".into());
        }
        if !(self.noise_std >= 0.0 && self.noise_std.is_finite()) {
            return Err(format!(
                "denoise: noise_std = {}: expected a number >= 0",
                self.noise_std
            ));
        }
        if !(self.lr > 0.0 && self.lr.is_finite()) {
            return Err(format!(
                "denoise: lr = {}: expected a positive number",
                self.lr
            ));
        }
        Ok(())
    }

    /// Time steps per episode: the clean presentations, then the noisy one.
    pub fn steps(&self) -> usize {
        self.images * (self.show_steps + self.zero_steps) + 1
    }
}

/// A batch of episodes: frames `[steps, batch, 1, h, w]` and the clean targets `[batch, h*w]`.
#[derive(Debug)]
pub struct DenoiseEpisodes {
    /// Input at every time step (the last is the noisy image).
    pub frames: Tensor,
    /// The clean image the last output must reproduce.
    pub targets: Tensor,
}

/// Draws `batch` episodes from `set` (single-channel images): distinct images per episode, one
/// of them repeated with noise at the end.
pub fn draw_episodes<R: Rng>(
    set: &Dataset,
    o: &DenoiseOptions,
    batch: usize,
    device: Device,
    rng: &mut R,
) -> Result<DenoiseEpisodes, String> {
    if set.channels != 1 {
        return Err(format!(
            "denoise: expected single-channel images, the data set has {} channels",
            set.channels
        ));
    }
    if set.len() < o.images {
        return Err(format!(
            "denoise: {} images per episode, but the data set holds {}",
            o.images,
            set.len()
        ));
    }
    let (t, px) = (o.steps(), set.image_size());
    let mut frames = vec![0f32; t * batch * px];
    let mut targets = vec![0f32; batch * px];
    let pixel = |v: u8| f32::from(v) / 255.0;
    for b in 0..batch {
        let chosen = sample(rng, set.len(), o.images).into_vec();
        let mut step = 0;
        for &i in &chosen {
            for _ in 0..o.show_steps {
                let at = (step * batch + b) * px;
                for (dst, &v) in frames[at..at + px].iter_mut().zip(set.image(i)) {
                    *dst = pixel(v);
                }
                step += 1;
            }
            step += o.zero_steps;
        }
        let clean = set.image(chosen[rng.random_range(0..o.images)]);
        let at = (step * batch + b) * px;
        for (k, &v) in clean.iter().enumerate() {
            targets[b * px + k] = pixel(v);
            let g = crate::seed::standard_normal(rng);
            frames[at + k] = pixel(v) + (o.noise_std * g) as f32;
        }
    }
    let (h, w) = (set.height as i64, set.width as i64);
    Ok(DenoiseEpisodes {
        frames: Tensor::from_slice(&frames)
            .view([t as i64, batch as i64, 1, h, w])
            .to_device(device),
        targets: Tensor::from_slice(&targets)
            .view([batch as i64, h * w])
            .to_device(device),
    })
}

/// The autoencoder: conv(1->16, stride 2) BN ReLU, conv(16->32, stride 2) BN ReLU, linear to the
/// code, tanh; linear, transposed conv(32->16) BN ReLU, transposed conv(16->1), sigmoid. In the
/// plastic network the two non-linearities belong to plastic layers (code x code and pixels x
/// pixels, fixed weights starting at the identity): `tanh(c (w + alpha Hebb) + b)` on the code
/// `c`, `sigmoid(l (w + alpha Hebb) + b)` on the pixel logits `l`.
#[derive(Debug)]
pub struct DenoisingAutoencoder {
    encoder: nn::SequentialT,
    code: nn::Linear,
    plastic_code: Option<PlasticLinear>,
    expand: nn::Linear,
    decoder: nn::SequentialT,
    plastic_pixels: Option<PlasticLinear>,
    side: i64,
}

impl DenoisingAutoencoder {
    /// Builds the network for `side` x `side` images (a multiple of 4).
    pub fn new(p: &nn::Path, side: usize, o: &DenoiseOptions) -> Result<Self, String> {
        if !side.is_multiple_of(4) || side == 0 {
            return Err(format!(
                "denoise: image side {side} must be a positive multiple of 4"
            ));
        }
        let s = side as i64;
        let q = s / 4;
        let conv = nn::ConvConfig {
            stride: 2,
            padding: 1,
            ..Default::default()
        };
        let encoder = nn::seq_t()
            .add(nn::conv2d(p / "enc1", 1, 16, 3, conv))
            .add(nn::batch_norm2d(p / "enc_bn1", 16, Default::default()))
            .add_fn(|x| x.relu())
            .add(nn::conv2d(p / "enc2", 16, 32, 3, conv))
            .add(nn::batch_norm2d(p / "enc_bn2", 32, Default::default()))
            .add_fn(|x| x.relu());
        let tconv = nn::ConvTransposeConfig {
            stride: 2,
            padding: 1,
            ..Default::default()
        };
        let decoder = nn::seq_t()
            .add(nn::conv_transpose2d(p / "dec1", 32, 16, 4, tconv))
            .add(nn::batch_norm2d(p / "dec_bn1", 16, Default::default()))
            .add_fn(|x| x.relu())
            .add(nn::conv_transpose2d(p / "dec2", 16, 1, 4, tconv));
        let latent = o.latent as i64;
        let px = side * side;
        // Fixed weights start at the identity, so that with alpha = 0 a plastic layer passes its
        // input through the same non-linearity as the baseline: the plastic network starts as
        // the baseline and its traces can only add to it.
        let plastic = |name: &str, n: usize| {
            PlasticLinear::new(&(p / name), n, n, o.eta, true, true, 0.01).inspect(|l| {
                tch::no_grad(|| {
                    l.w.shallow_clone()
                        .copy_(&Tensor::eye(n as i64, (Kind::Float, p.device())))
                });
            })
        };
        Ok(DenoisingAutoencoder {
            encoder,
            code: nn::linear(p / "code", 32 * q * q, latent, Default::default()),
            plastic_code: if o.plastic {
                Some(plastic("plastic_code", o.latent)?)
            } else {
                None
            },
            expand: nn::linear(p / "expand", latent, 32 * q * q, Default::default()),
            decoder,
            plastic_pixels: if o.plastic {
                Some(plastic("plastic_pixels", px)?)
            } else {
                None
            },
            side: s,
        })
    }

    /// The code before its tanh (the plastic layer applies the tanh when there is one).
    fn encode(&self, frames: &Tensor, train: bool) -> Tensor {
        let n = frames.size()[0];
        self.code
            .forward(&self.encoder.forward_t(frames, train).view([n, -1]))
    }

    /// Pixel logits (the plastic layer applies the sigmoid when there is one).
    fn decode(&self, code: &Tensor, train: bool) -> Tensor {
        let (n, q) = (code.size()[0], self.side / 4);
        self.decoder
            .forward_t(&self.expand.forward(code).view([n, 32, q, q]), train)
            .view([n, -1])
    }

    /// Runs an episode and returns the output at its last step, `[batch, h*w]`.
    pub fn forward(&self, frames: &Tensor, train: bool) -> Tensor {
        let sz = frames.size();
        let (t, b) = (sz[0], sz[1]);
        if self.plastic_code.is_none() {
            // Without memory the earlier frames cannot change the last output.
            let code = self.encode(&frames.get(t - 1), train).tanh();
            return self.decode(&code, train).sigmoid();
        }
        let flat = frames.view([t * b, 1, self.side, self.side]);
        let codes = self.encode(&flat, train).view([t, b, -1]);
        let through = |layer: &PlasticLinear, xs: &Tensor, sigma| {
            let steps: Vec<Tensor> = (0..t).map(|s| xs.get(s)).collect();
            layer.forward_sequence(&steps, sigma)
        };
        let plastic_code = self.plastic_code.as_ref().expect("plastic");
        let codes = Tensor::stack(&through(plastic_code, &codes, Activation::Tanh), 0);
        let pixels = self
            .decode(&codes.view([t * b, -1]), train)
            .view([t, b, -1]);
        let plastic_pixels = self.plastic_pixels.as_ref().expect("plastic");
        through(plastic_pixels, &pixels, Activation::Sigmoid)
            .pop()
            .expect("at least one step")
    }
}

/// One point of the learning curve.
#[derive(Clone, Copy, Debug)]
pub struct DenoisePoint {
    /// Episodes trained so far.
    pub episode: usize,
    /// Mean squared error per pixel on the training batch.
    pub train_mse: f64,
    /// Mean squared error per pixel on the fixed test episodes (evaluation mode), when measured.
    pub test_mse: Option<f64>,
}

/// Mean squared error per pixel of the network on `episodes` (evaluation mode, no gradients).
pub fn test_mse(net: &DenoisingAutoencoder, episodes: &[DenoiseEpisodes]) -> f64 {
    let _guard = tch::no_grad_guard();
    let (mut sum, mut count) = (0.0, 0.0);
    for ep in episodes {
        let y = net.forward(&ep.frames, false);
        sum += (&y - &ep.targets)
            .square()
            .sum(Kind::Float)
            .double_value(&[]);
        count += ep.targets.numel() as f64;
    }
    sum / count
}

/// A fixed test stream: `batches` batches of `batch` episodes from `set`, drawn from `o.seed`
/// on the stream [`stream::DIFFERENTIABLE_DEMO`]. It does not depend on `o.plastic`, so a plastic
/// network and its non-plastic twin are measured on the same episodes.
pub fn test_episodes(
    set: &Dataset,
    o: &DenoiseOptions,
    batches: usize,
    batch: usize,
    device: Device,
) -> Result<Vec<DenoiseEpisodes>, String> {
    let mut rng = crate::seed::rng(o.seed, &[stream::DIFFERENTIABLE_DEMO]);
    (0..batches)
        .map(|_| draw_episodes(set, o, batch, device, &mut rng))
        .collect()
}

/// Mean squared error per pixel of the noisy input (each episode's last frame) against the
/// clean image: the error of a network that returns its input unchanged.
pub fn noisy_mse(episodes: &[DenoiseEpisodes]) -> f64 {
    let (mut sum, mut count) = (0.0, 0.0);
    for ep in episodes {
        let t = ep.frames.size()[0];
        let noisy = ep.frames.get(t - 1).flatten(1, -1);
        sum += (&noisy - &ep.targets)
            .square()
            .sum(Kind::Float)
            .double_value(&[]);
        count += ep.targets.numel() as f64;
    }
    sum / count
}

/// Trains an autoencoder on episodes from `train_set`, measuring the test error on `test`
/// every `eval_every` episodes (and at the end); `on_point` sees every step.
pub fn train(
    o: &DenoiseOptions,
    train_set: &Dataset,
    test: &[DenoiseEpisodes],
    eval_every: usize,
    device: Device,
    mut on_point: impl FnMut(&DenoisePoint),
) -> Result<(nn::VarStore, DenoisingAutoencoder, Vec<DenoisePoint>), String> {
    o.validate()?;
    if train_set.height != train_set.width {
        return Err(format!(
            "denoise: square images expected, got {}x{}",
            train_set.height, train_set.width
        ));
    }
    tch::manual_seed(
        crate::seed::derive(o.seed, &[stream::DENOISE_TORCH, o.plastic as u64]) as i64,
    );
    let vs = nn::VarStore::new(device);
    let net = DenoisingAutoencoder::new(&vs.root(), train_set.width, o)?;
    let mut opt = nn::Adam::default()
        .build(&vs, o.lr)
        .map_err(|e| e.to_string())?;
    let mut rng = crate::seed::rng(o.seed, &[stream::DENOISE_DATA]);
    let mut curve = Vec::new();
    for episode in 1..=o.episodes {
        let ep = draw_episodes(train_set, o, o.batch, device, &mut rng)?;
        let y = net.forward(&ep.frames, true);
        let loss = (&y - &ep.targets).square().mean(Kind::Float);
        opt.backward_step(&loss);
        let test_mse = (episode % eval_every.max(1) == 0 || episode == o.episodes)
            .then(|| test_mse(&net, test));
        let point = DenoisePoint {
            episode,
            train_mse: loss.double_value(&[]),
            test_mse,
        };
        on_point(&point);
        curve.push(point);
    }
    Ok((vs, net, curve))
}
