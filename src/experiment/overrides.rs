//! Command-line changes to an experiment config before it is parsed: `--set KEY=VALUE`,
//! `--regimes`, `--healthy`. They edit the TOML text, so the result is validated exactly like a
//! file and recorded in `run.json` (a resumed run must be given the same changes).
use std::path::Path;

/// What to change.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// `KEY=VALUE` pairs: a dotted key into the tables (`injury.gamma`) and a TOML value
    /// (`0.25`, `"text"`, `[1, 2]`); a value that is not valid TOML is taken as a string.
    pub set: Vec<String>,
    /// Keep only the `[[regime]]` entries with these names (all when empty).
    pub regimes: Vec<String>,
    /// Replace the `[healthy]` section by `checkpoint = PATH`.
    pub healthy: Option<std::path::PathBuf>,
}

impl Overrides {
    /// Whether there is nothing to change.
    pub fn is_empty(&self) -> bool {
        self.set.is_empty() && self.regimes.is_empty() && self.healthy.is_none()
    }
}

fn parse_value(raw: &str) -> toml::Value {
    format!("v = {raw}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.to_string()))
}

fn set_one(table: &mut toml::Table, assignment: &str) -> Result<(), String> {
    let (key, raw) = assignment
        .split_once('=')
        .ok_or_else(|| format!("--set {assignment}: expected KEY=VALUE, e.g. cycles=3"))?;
    let path: Vec<&str> = key.trim().split('.').collect();
    if path.iter().any(|p| p.is_empty()) {
        return Err(format!("--set {assignment}: empty part in the key `{key}`"));
    }
    set_path(table, &path, 0, &parse_value(raw.trim()), assignment)
}

/// Sets `path[at..]` under `here` to `value`. After an array of tables the next part picks
/// entries: `*` every one (`regime.*.lr`), else the one whose `name` it is (`regime.R1000.lr`).
fn set_path(
    here: &mut toml::Table,
    path: &[&str],
    at: usize,
    value: &toml::Value,
    assignment: &str,
) -> Result<(), String> {
    let part = path[at];
    if at + 1 == path.len() {
        here.insert(part.to_string(), value.clone());
        return Ok(());
    }
    let selector = path[at + 1];
    let is_list = here.get(part).is_some_and(|v| v.is_array());
    if selector == "*" || is_list {
        let entries = here
            .get_mut(part)
            .and_then(|v| v.as_array_mut())
            .ok_or_else(|| {
                format!(
                    "--set {assignment}: `{}` is not a list of tables (like [[regime]])",
                    path[..=at].join(".")
                )
            })?;
        if at + 2 == path.len() {
            return Err(format!(
                "--set {assignment}: `{selector}` needs a key after it, e.g. {part}.{selector}.lr"
            ));
        }
        let name = |e: &toml::Value| e.get("name").and_then(|n| n.as_str()).map(String::from);
        let names: Vec<String> = entries.iter().filter_map(name).collect();
        let mut matched = 0;
        for e in entries.iter_mut() {
            if selector != "*" && name(e).as_deref() != Some(selector) {
                continue;
            }
            let t = e.as_table_mut().ok_or_else(|| {
                format!("--set {assignment}: `{part}` holds a value that is not a table")
            })?;
            set_path(t, path, at + 2, value, assignment)?;
            matched += 1;
        }
        if matched == 0 && selector != "*" {
            return Err(format!(
                "--set {assignment}: no {part} named `{selector}` (there are {}; `*` sets all)",
                names.join(", ")
            ));
        }
        return Ok(());
    }
    let entry = here
        .entry(part.to_string())
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    let next = entry.as_table_mut().ok_or_else(|| {
        format!(
            "--set {assignment}: `{}` is a value, not a section",
            path[..=at].join(".")
        )
    })?;
    set_path(next, path, at + 1, value, assignment)
}

/// Applies the changes to the config text `text` (from `origin`, for messages) and returns the
/// new text.
pub fn apply(text: &str, origin: &str, o: &Overrides) -> Result<String, String> {
    if o.is_empty() {
        return Ok(text.to_string());
    }
    let mut table: toml::Table = text.parse().map_err(|e| format!("{origin}: {e}"))?;
    if let Some(path) = &o.healthy {
        let path: &Path = path;
        let mut healthy = toml::Table::new();
        healthy.insert(
            "checkpoint".into(),
            toml::Value::String(path.display().to_string()),
        );
        table.insert("healthy".into(), toml::Value::Table(healthy));
    }
    for s in &o.set {
        set_one(&mut table, s)?;
    }
    if !o.regimes.is_empty() {
        let regimes = table
            .get_mut("regime")
            .and_then(|r| r.as_array_mut())
            .ok_or_else(|| format!("--regimes: {origin} has no [[regime]] entries"))?;
        let name = |r: &toml::Value| {
            r.get("name")
                .and_then(|n| n.as_str())
                .unwrap_or_default()
                .to_string()
        };
        let known: Vec<String> = regimes.iter().map(name).collect();
        if let Some(bad) = o.regimes.iter().find(|r| !known.contains(r)) {
            return Err(format!(
                "--regimes: no regime named `{bad}` in {origin} (it has {})",
                known.join(", ")
            ));
        }
        regimes.retain(|r| o.regimes.contains(&name(r)));
    }
    toml::to_string(&table).map_err(|e| format!("{origin}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"
name = "x"
cycles = 10
[healthy.train]
epochs = 60
[injury]
gamma = 0.5
[[regime]]
name = "R1000"
images = 1000
[[regime]]
name = "static"
static = true
"#;

    #[test]
    fn sets_values_filters_regimes_and_replaces_the_healthy_model() {
        let o = Overrides {
            set: vec![
                "cycles=3".into(),
                "injury.gamma = 0.25".into(),
                "data.dataset=cifar10".into(),
                "analyses=[\"accuracy\"]".into(),
            ],
            regimes: vec!["R1000".into()],
            healthy: Some("runs/a/model.safetensors".into()),
        };
        let t: toml::Table = apply(TEXT, "test", &o).unwrap().parse().unwrap();
        assert_eq!(t["cycles"].as_integer(), Some(3));
        assert_eq!(t["injury"]["gamma"].as_float(), Some(0.25));
        assert_eq!(t["data"]["dataset"].as_str(), Some("cifar10"));
        assert_eq!(t["analyses"].as_array().unwrap().len(), 1);
        let regimes = t["regime"].as_array().unwrap();
        assert_eq!(regimes.len(), 1);
        assert_eq!(regimes[0]["name"].as_str(), Some("R1000"));
        assert_eq!(
            t["healthy"]["checkpoint"].as_str(),
            Some("runs/a/model.safetensors")
        );
        assert!(t["healthy"].get("train").is_none());
    }

    #[test]
    fn a_star_sets_a_key_in_every_regime() {
        let o = Overrides {
            set: vec!["regime.*.recalibrate_bn=0".into()],
            ..Default::default()
        };
        let t: toml::Table = apply(TEXT, "test", &o).unwrap().parse().unwrap();
        for r in t["regime"].as_array().unwrap() {
            assert_eq!(r["recalibrate_bn"].as_integer(), Some(0));
        }
        // A name picks one regime.
        let one = Overrides {
            set: vec!["regime.static.recalibrate_bn=1000".into()],
            ..Default::default()
        };
        let t: toml::Table = apply(TEXT, "test", &one).unwrap().parse().unwrap();
        let r = t["regime"].as_array().unwrap();
        assert!(r[0].get("recalibrate_bn").is_none());
        assert_eq!(r[1]["recalibrate_bn"].as_integer(), Some(1000));
        let none = Overrides {
            set: vec!["regime.R5.lr=0.1".into()],
            ..Default::default()
        };
        let e = apply(TEXT, "test", &none).unwrap_err();
        assert!(
            e.contains("no regime named `R5`") && e.contains("R1000, static"),
            "{e}"
        );
        let bad = Overrides {
            set: vec!["cycles.*.x=1".into()],
            ..Default::default()
        };
        assert!(apply(TEXT, "test", &bad)
            .unwrap_err()
            .contains("not a list of tables"));
    }

    #[test]
    fn mistakes_are_named() {
        let run = |o: Overrides| apply(TEXT, "test", &o).unwrap_err();
        let set = |s: &str| Overrides {
            set: vec![s.into()],
            ..Default::default()
        };
        assert!(run(set("cycles")).contains("expected KEY=VALUE"));
        assert!(run(set("cycles.x=1")).contains("`cycles` is a value"));
        assert!(run(set("a..b=1")).contains("empty part"));
        let e = run(Overrides {
            regimes: vec!["R5".into()],
            ..Default::default()
        });
        assert!(
            e.contains("no regime named `R5`") && e.contains("R1000, static"),
            "{e}"
        );
        assert_eq!(apply(TEXT, "t", &Overrides::default()).unwrap(), TEXT);
    }
}
