//! A network's areas: named groups of synapse layers, for progression models that start in one
//! area or visit them in order (docs/PROTOCOLS.md, "Progression").
use super::{Architecture, Op};

impl Architecture {
    /// The synapse layers grouped into areas, in forward order: for a network whose layer names
    /// hold a module (CORnet's `V1.conv`, a TorchScript model's `layer1.0.conv1`), the module
    /// before the first dot (`V1`, `V2`, `V4`, `IT`, `decoder`; `layer1`, `fc`); for the VGG-style
    /// networks, the convolutions between two pools as `block1`, `block2`, ... and the dense
    /// layers as `classifier`.
    pub fn areas(&self) -> Vec<(String, Vec<String>)> {
        let mut areas: Vec<(String, Vec<String>)> = Vec::new();
        let mut put = |area: String, layer: String| match areas.last_mut() {
            Some((a, layers)) if *a == area => layers.push(layer),
            _ => areas.push((area, vec![layer])),
        };
        let synapses = self.synapse_layers();
        if self.torchscript.is_some() || synapses.iter().any(|l| l.contains('.')) {
            for l in synapses {
                let area = l.split('.').next().unwrap_or(&l).to_string();
                put(area, l);
            }
            return areas;
        }
        let mut block = 1;
        for l in self.layers().unwrap_or_default() {
            match l.op {
                Op::Conv { .. } => put(format!("block{block}"), l.name),
                Op::Linear { .. } => put("classifier".into(), l.name),
                Op::MaxPool { .. } => block += 1,
                _ => {}
            }
        }
        areas
    }
}

#[cfg(test)]
mod tests {
    use crate::model::Architecture;

    /// VGG blocks by their pools, CORnet areas by their modules.
    #[test]
    fn areas_of_vgg_and_cornet() {
        let vgg = Architecture::preset("vgg19_bn", Some("8,8,M,16,M"), 3, 32, 10).unwrap();
        assert_eq!(
            vgg.areas(),
            vec![
                (
                    "block1".to_string(),
                    vec!["conv1".to_string(), "conv2".to_string()]
                ),
                ("block2".to_string(), vec!["conv3".to_string()]),
                ("classifier".to_string(), vec!["linear1".to_string()]),
            ]
        );
        let cornet = Architecture::preset("cornet_z32", None, 3, 32, 10).unwrap();
        let names: Vec<String> = cornet.areas().into_iter().map(|a| a.0).collect();
        assert_eq!(names, ["V1", "V2", "V4", "IT", "decoder"]);
    }
}
