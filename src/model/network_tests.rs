use super::*;
use tch::{Device, Kind};

/// Through the network, the cumulative mode averages the statistics of every batch since
/// the mode was set, and setting it again starts afresh.
#[test]
fn a_cumulative_average_counts_the_batches_since_the_mode_was_set() {
    tch::manual_seed(5);
    let arch = Architecture::vgg19_bn("8,M", 10);
    let vs = nn::VarStore::new(Device::Cpu);
    let net = Network::new(&vs.root(), &arch).unwrap();
    let batch = |s: f64| Tensor::randn([4, 3, 32, 32], (Kind::Float, Device::Cpu)) * s + s;
    let (x1, x2) = (batch(1.0), batch(2.0));
    let mean = || vs.variables()["bn1.running_mean"].copy();
    let alone = |x: &Tensor| {
        net.set_bn_mode(BnMode::Cumulative);
        let _ = net.forward_t(x, true);
        mean()
    };
    let (m1, m2) = (alone(&x1), alone(&x2));
    net.set_bn_mode(BnMode::Cumulative);
    let _ = net.forward_t(&x1, true);
    let _ = net.forward_t(&x2, true);
    let both = mean();
    assert!(both.allclose(&((&m1 + &m2) / 2.0), 1e-5, 1e-6, false));
    assert!(
        !m1.allclose(&m2, 1e-3, 1e-3, false),
        "degenerate: equal batches"
    );
    assert!(
        alone(&x2).allclose(&m2, 1e-6, 1e-7, false),
        "the mode did not restart"
    );
}

/// The drawn parameters follow PyTorch's `reset_parameters`: weights and biases uniform in
/// +-1/sqrt(fan_in) (so their variance is bound^2 / 3), BatchNorm scale exactly 1 and shift 0.
#[test]
fn parameters_are_drawn_as_pytorch_draws_them() {
    tch::manual_seed(11);
    let arch = Architecture::vgg19_bn("64,M,128,M", 10);
    let vs = nn::VarStore::new(Device::Cpu);
    let _net = Network::new(&vs.root(), &arch).unwrap();
    let vars = vs.variables();
    let mut checked = 0;
    for l in arch.layers().unwrap() {
        let fan_in = match l.op {
            Op::Conv { cin, kernel, .. } => cin * kernel * kernel,
            Op::Linear { fin, .. } => fin,
            Op::BatchNorm { .. } => {
                let w = &vars[&format!("{}.weight", l.name)];
                let b = &vars[&format!("{}.bias", l.name)];
                assert_eq!(w.min().double_value(&[]), 1.0);
                assert_eq!(w.max().double_value(&[]), 1.0);
                assert_eq!(b.abs().max().double_value(&[]), 0.0);
                assert_eq!(
                    vars[&format!("{}.running_var", l.name)]
                        .mean(Kind::Double)
                        .double_value(&[]),
                    1.0
                );
                continue;
            }
            _ => continue,
        };
        let bound = 1.0 / (fan_in as f64).sqrt();
        for part in ["weight", "bias"] {
            let t = vars[&format!("{}.{part}", l.name)].to_kind(Kind::Double);
            let max = t.abs().max().double_value(&[]);
            assert!(
                max <= bound,
                "{}.{part}: |w| up to {max}, bound {bound}",
                l.name
            );
            if t.numel() >= 4096 {
                // Uniform: variance bound^2 / 3; tch's default (Kaiming with the ReLU gain)
                // would give 6 times that.
                let var = t.var(false).double_value(&[]);
                let want = bound * bound / 3.0;
                assert!(
                    (var / want - 1.0).abs() < 0.05,
                    "{}.{part}: variance {var} vs {want}",
                    l.name
                );
                assert!(
                    max > 0.99 * bound,
                    "{}.{part} does not fill its range",
                    l.name
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 2, "too few large tensors checked");
}

/// The plain VGG19 is drawn as torchvision draws its VGGs: convolution weights normal with
/// variance 2 / fan_out (fan_out = out channels x kernel area), dense weights normal with sd
/// 0.01, every bias zero.
#[test]
fn plain_vgg19_is_initialised_as_torchvision_initialises_it() {
    tch::manual_seed(5);
    let arch = Architecture::preset("vgg19", Some("bench"), 3, 32, 10).unwrap();
    let vs = nn::VarStore::new(Device::Cpu);
    let _net = Network::new(&vs.root(), &arch).unwrap();
    let vars = vs.variables();
    let mut convs = 0;
    let mut denses = 0;
    for l in arch.layers().unwrap() {
        let want_var = match l.op {
            Op::Conv { cout, kernel, .. } => {
                convs += 1;
                2.0 / (cout * kernel * kernel) as f64
            }
            Op::Linear { .. } => {
                denses += 1;
                1e-4
            }
            _ => continue,
        };
        let w = vars[&format!("{}.weight", l.name)].to_kind(Kind::Double);
        let var = w.var(false).double_value(&[]);
        let mean = w.mean(Kind::Double).double_value(&[]);
        let tol = if w.numel() >= 4096 { 0.1 } else { 0.5 };
        assert!(
            (var / want_var - 1.0).abs() < tol,
            "{}: variance {var}, want {want_var}",
            l.name
        );
        assert!(
            mean.abs() < 4.0 * (want_var / w.numel() as f64).sqrt() + 1e-12,
            "{}: mean {mean}",
            l.name
        );
        let b = &vars[&format!("{}.bias", l.name)];
        assert_eq!(b.abs().max().double_value(&[]), 0.0, "{}", l.name);
    }
    assert_eq!((convs, denses), (16, 3));
}

/// CORnet-Z takes its authors' initialisation: Xavier-uniform weights (uniform in
/// +-sqrt(6 / (fan_in + fan_out)), variance bound^2 / 3) and zero biases.
#[test]
fn cornet_is_initialised_as_its_authors_initialise_it() {
    tch::manual_seed(3);
    let arch = Architecture::cornet_z(10, true);
    let vs = nn::VarStore::new(Device::Cpu);
    let _net = Network::new(&vs.root(), &arch).unwrap();
    let vars = vs.variables();
    let w = vars["V2.conv.weight"].to_kind(Kind::Double);
    let bound = (6.0 / ((64 * 9 + 128 * 9) as f64)).sqrt();
    assert!(w.abs().max().double_value(&[]) <= bound);
    let var = w.var(false).double_value(&[]);
    assert!((var / (bound * bound / 3.0) - 1.0).abs() < 0.05, "{var}");
    for b in ["V1.conv.bias", "IT.conv.bias", "decoder.linear.bias"] {
        assert_eq!(vars[b].abs().max().double_value(&[]), 0.0, "{b}");
    }
    let lin = vars["decoder.linear.weight"].to_kind(Kind::Double);
    let bound = (6.0 / ((512 + 10) as f64)).sqrt();
    assert!(lin.abs().max().double_value(&[]) <= bound);
    assert!(lin.abs().max().double_value(&[]) > 0.95 * bound);
}
