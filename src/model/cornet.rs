//! CORnet-Z (Kubilius et al. 2018) as an [`Architecture`]: four visual areas V1, V2, V4, IT,
//! each a convolution, a nonlinearity and a 3x3 stride-2 max-pool, then a global average pool
//! and a linear decoder, under the authors' layer names.
use super::arch::{Activation, Architecture, LayerSpec, Op, Stage};
use super::error::ModelError;

impl Architecture {
    /// CORnet-Z (Kubilius et al. 2018): four areas V1, V2, V4, IT, each a convolution (V1 7x7
    /// stride 2, the others 3x3), ReLU and a 3x3 stride-2 max-pool (padding 1), then a global
    /// average pool and a linear decoder; widths 64, 128, 256, 512. `for_32` is the variant
    /// for 32x32 inputs: V1's convolution 3x3 with stride 1, so that IT still sees a 2x2 map.
    /// Layers are named `V1.conv`, `V1.nonlin`, `V1.pool`, ..., `decoder.avgpool`,
    /// `decoder.linear`, as in the authors' PyTorch code, whose initialisation it also takes
    /// (Xavier-uniform weights, zero biases).
    pub fn cornet_z(num_classes: usize, for_32: bool) -> Architecture {
        Architecture {
            kind: if for_32 { "cornet_z32" } else { "cornet_z" }.into(),
            widths: "64,128,256,512".into(),
            batch_norm: false,
            hidden: vec![],
            dropout: 0.0,
            in_channels: 3,
            image_size: if for_32 { 32 } else { 224 },
            num_classes,
            activation: Activation::Relu,
            torchscript: None,
        }
    }

    /// Whether this is CORnet-Z (either variant).
    pub fn is_cornet(&self) -> bool {
        self.kind.starts_with("cornet_z")
    }

    /// CORnet-Z's layers: `widths` lists the four areas' channels.
    pub(super) fn cornet_layers(&self) -> Result<Vec<LayerSpec>, ModelError> {
        let widths: Vec<usize> = self
            .stages()?
            .into_iter()
            .map(|s| match s {
                Stage::Conv(w) => Ok(w),
                Stage::Pool => Err(()),
            })
            .collect::<Result<_, _>>()
            .ok()
            .filter(|w: &Vec<usize>| w.len() == 4)
            .ok_or_else(|| {
                ModelError::out_of_range(
                    "widths",
                    &self.widths,
                    "four channel counts for V1, V2, V4 and IT (no M: every area pools)",
                )
            })?;
        let mut out = Vec::new();
        let (mut c, mut hw) = (self.in_channels, self.image_size);
        for (i, (area, w)) in ["V1", "V2", "V4", "IT"].iter().zip(widths).enumerate() {
            let (kernel, stride) = if i == 0 && self.kind == "cornet_z" {
                (7, 2)
            } else {
                (3, 1)
            };
            hw = (hw + 2 * (kernel / 2) - kernel) / stride + 1;
            out.push(LayerSpec {
                name: format!("{area}.conv"),
                op: Op::Conv {
                    cin: c,
                    cout: w,
                    kernel,
                    stride,
                },
                out_shape: vec![w, hw, hw],
            });
            c = w;
            out.push(LayerSpec {
                name: format!("{area}.nonlin"),
                op: self.nonlinearity(c).1,
                out_shape: vec![c, hw, hw],
            });
            if hw < 2 {
                return Err(ModelError::TooManyPools {
                    widths: self.widths.clone(),
                    map: hw,
                    image_size: self.image_size,
                });
            }
            hw = (hw + 2 - 3) / 2 + 1;
            out.push(LayerSpec {
                name: format!("{area}.pool"),
                op: Op::MaxPool {
                    kernel: 3,
                    stride: 2,
                    padding: 1,
                },
                out_shape: vec![c, hw, hw],
            });
        }
        out.push(LayerSpec {
            name: "decoder.avgpool".into(),
            op: Op::AvgPool,
            out_shape: vec![c],
        });
        out.push(LayerSpec {
            name: "decoder.linear".into(),
            op: Op::Linear {
                fin: c,
                fout: self.num_classes,
            },
            out_shape: vec![self.num_classes],
        });
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::arch::layer_flops;

    /// CORnet-Z by hand: at 224x224 V1's 7x7 stride-2 convolution gives 112, its pool 56, then
    /// every area halves (28, 14, 7); parameters are the sum of k*k*cin*cout + cout per layer.
    #[test]
    fn cornet_z_shapes_and_counts_by_hand() {
        let a = Architecture::preset("cornet_z", None, 3, 224, 1000).unwrap();
        let l = a.layers().unwrap();
        let names: Vec<&str> = l.iter().map(|x| x.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "V1.conv",
                "V1.nonlin",
                "V1.pool",
                "V2.conv",
                "V2.nonlin",
                "V2.pool",
                "V4.conv",
                "V4.nonlin",
                "V4.pool",
                "IT.conv",
                "IT.nonlin",
                "IT.pool",
                "decoder.avgpool",
                "decoder.linear"
            ]
        );
        assert_eq!(l[0].out_shape, [64, 112, 112]);
        assert_eq!(l[2].out_shape, [64, 56, 56]);
        assert_eq!(l[5].out_shape, [128, 28, 28]);
        assert_eq!(l[8].out_shape, [256, 14, 14]);
        assert_eq!(l[11].out_shape, [512, 7, 7]);
        assert_eq!(l[12].out_shape, [512]);
        let params = (3 * 64 * 49 + 64)
            + (64 * 128 * 9 + 128)
            + (128 * 256 * 9 + 256)
            + (256 * 512 * 9 + 512)
            + (512 * 1000 + 1000);
        assert_eq!(a.parameter_count(), params);
        assert_eq!(params, 2_071_656);
        assert_eq!(
            a.synapse_layers(),
            ["V1.conv", "V2.conv", "V4.conv", "IT.conv", "decoder.linear"]
        );
        assert_eq!(layer_flops(&l[0]), 3 * 64 * 49 * 112 * 112);
        // The 32x32 variant: V1 3x3 stride 1, so maps of 16, 8, 4, 2 after the pools.
        let b = Architecture::preset("cornet_z32", None, 3, 32, 10).unwrap();
        let l = b.layers().unwrap();
        assert_eq!(l[0].out_shape, [64, 32, 32]);
        assert_eq!(l[2].out_shape, [64, 16, 16]);
        assert_eq!(l[11].out_shape, [512, 2, 2]);
        assert_eq!(
            l[0].op,
            Op::Conv {
                cin: 3,
                cout: 64,
                kernel: 3,
                stride: 1
            }
        );
        let e = Architecture::preset("cornet_z32", Some("8,M,16"), 3, 32, 10)
            .unwrap_err()
            .to_string();
        assert!(e.contains("four channel counts"), "{e}");
        let e = Architecture::preset("cornet_z32", None, 3, 4, 10)
            .unwrap_err()
            .to_string();
        assert!(e.contains("does not survive"), "{e}");
    }
}
