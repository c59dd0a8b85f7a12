use super::*;

#[test]
fn vgg19_bn_counts_match_the_reference() {
    // torchvision-style CIFAR vgg19_bn: 20,040,522 trainable parameters (hand-summed below).
    let a = Architecture::vgg19_bn(VGG19_WIDTHS, 10);
    let convs = [
        (3, 64),
        (64, 64),
        (64, 128),
        (128, 128),
        (128, 256),
        (256, 256),
        (256, 256),
        (256, 256),
        (256, 512),
        (512, 512),
        (512, 512),
        (512, 512),
        (512, 512),
        (512, 512),
        (512, 512),
        (512, 512),
    ];
    let expect: usize = convs
        .iter()
        .map(|&(i, o)| i * o * 9 + o + 2 * o)
        .sum::<usize>()
        + 512 * 10
        + 10;
    assert_eq!(a.parameter_count(), expect);
    assert_eq!(expect, 20_040_522);
    let layers = a.layers().unwrap();
    assert_eq!(
        layers.iter().filter(|l| l.name.starts_with("conv")).count(),
        16
    );
    assert_eq!(layers.len(), 16 * 3 + 5 + 1);
    assert_eq!(layers[0].name, "conv1");
    assert_eq!(layers[1].name, "bn1");
    assert_eq!(layers[2].name, "relu1");
    assert_eq!(layers[6].name, "pool1");
    assert_eq!(layers.last().unwrap().name, "linear1");
    // MACs: conv1 at 32x32: 3*64*9*1024.
    assert_eq!(layer_flops(&layers[0]), 3 * 64 * 9 * 1024);
    assert_eq!(a.flops(), 398_136_320);
}

#[test]
fn vgg19_has_three_dense_layers_with_dropout() {
    let a = Architecture::vgg19(10);
    let names: Vec<String> = a.layers().unwrap().into_iter().map(|l| l.name).collect();
    assert!(!names.iter().any(|n| n.starts_with("bn")));
    let tail: Vec<&str> = names[names.len() - 7..]
        .iter()
        .map(|s| s.as_str())
        .collect();
    assert_eq!(
        tail,
        ["linear1", "relu17", "dropout1", "linear2", "relu18", "dropout2", "linear3"]
    );
    assert_eq!(a.synapse_layers().len(), 19);
}

#[test]
fn small_cnn_shapes_and_bad_widths() {
    let a = Architecture::small_cnn(10);
    let l = a.layers().unwrap();
    assert_eq!(l.last().unwrap().op, Op::Linear { fin: 128, fout: 10 });
    assert_eq!(
        l.iter().find(|x| x.name == "linear1").unwrap().op,
        Op::Linear {
            fin: 64 * 7 * 7,
            fout: 128
        }
    );
    let e = Architecture::preset("vgg19_bn", None, 1, 28, 10)
        .unwrap_err()
        .to_string();
    assert!(e.contains("does not survive"), "{e}");
    let e = parse_widths("64,x,M").unwrap_err().to_string();
    assert!(e.contains("`x`"), "{e}");
    assert_eq!(
        format_widths(&parse_widths(BENCH_WIDTHS).unwrap()),
        BENCH_WIDTHS
    );
}

#[test]
fn widths_names_resolve_to_the_presets_and_are_stored_resolved() {
    let bench = Architecture::preset("vgg19_bn", Some("bench"), 3, 32, 10).unwrap();
    assert_eq!(bench.widths, BENCH_WIDTHS);
    let full = Architecture::preset("vgg19_bn", Some("full"), 3, 32, 10).unwrap();
    assert_eq!(full.widths, VGG19_WIDTHS);
    assert_eq!(widths_by_name("8,M"), "8,M");
    let e = Architecture::preset("vgg19_bn", Some("half"), 3, 32, 10)
        .unwrap_err()
        .to_string();
    assert!(e.contains("`half`"), "{e}");
}
