//! Where two settings recorded as JSON differ, named down to the field: what a resumable command
//! says when a folder holds the state of another configuration (`run.json`, a training's or a
//! fine-tuning's `progress.json`), so that the researcher sees which setting to give back, not
//! two JSON documents to compare by eye.
use serde_json::Value;
use std::fmt::Write;

/// One field at which two JSON values differ: its path (`train.lr`, `widths[3]`; empty for
/// the values themselves) and its value on each side (None where the field is absent).
#[derive(Debug, Clone, PartialEq)]
pub struct Difference {
    /// Dotted object keys, array positions in brackets.
    pub path: String,
    /// The value on the first side.
    pub left: Option<Value>,
    /// The value on the second side.
    pub right: Option<Value>,
}

/// The innermost fields at which `left` and `right` differ, objects' keys in `left`'s order then
/// those only `right` has; arrays of equal length compared position by position, of different
/// lengths as one value. Empty when the two are equal.
pub fn differences(left: &Value, right: &Value) -> Vec<Difference> {
    let mut out = Vec::new();
    walk(String::new(), Some(left), Some(right), &mut out);
    out
}

fn walk(path: String, a: Option<&Value>, b: Option<&Value>, out: &mut Vec<Difference>) {
    if a == b {
        return;
    }
    match (a, b) {
        (Some(Value::Object(x)), Some(Value::Object(y))) => {
            let only_right = y.keys().filter(|k| !x.contains_key(*k));
            for k in x.keys().chain(only_right) {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                walk(p, x.get(k), y.get(k), out);
            }
        }
        (Some(Value::Array(x)), Some(Value::Array(y))) if x.len() == y.len() => {
            for (i, (u, v)) in x.iter().zip(y).enumerate() {
                walk(format!("{path}[{i}]"), Some(u), Some(v), out);
            }
        }
        _ => out.push(Difference {
            path,
            left: a.cloned(),
            right: b.cloned(),
        }),
    }
}

/// A value as a message shows it: compact JSON, cut at 60 characters; `absent` for None.
fn shown(v: &Option<Value>) -> String {
    let Some(v) = v else {
        return "absent".into();
    };
    let s = v.to_string();
    match s.char_indices().nth(60) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s,
    }
}

/// The first three differences in words, each side named by its label:
/// `` `lr`: 0.01 recorded, 0.02 given; and 2 more ``; for none, that the JSON shows none (two
/// values can differ in what their JSON leaves out).
pub fn describe(diffs: &[Difference], left: &str, right: &str) -> String {
    if diffs.is_empty() {
        return "no field differs in their JSON".into();
    }
    let mut s = String::new();
    for (i, d) in diffs.iter().take(3).enumerate() {
        if i > 0 {
            s.push_str("; ");
        }
        let path = if d.path.is_empty() {
            "the whole record"
        } else {
            &d.path
        };
        let _ = write!(
            s,
            "`{path}`: {} {left}, {} {right}",
            shown(&d.left),
            shown(&d.right)
        );
    }
    if diffs.len() > 3 {
        let _ = write!(s, "; and {} more", diffs.len() - 3);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn equal_values_have_no_difference() {
        let v = json!({"a": [1, 2], "b": {"c": null}});
        assert!(differences(&v, &v).is_empty());
        assert_eq!(describe(&[], "a", "b"), "no field differs in their JSON");
    }

    #[test]
    fn nested_fields_are_named_by_their_paths() {
        let a = json!({"options": {"lr": 0.01, "epochs": 10}, "widths": [22, 44, 88], "x": 1});
        let b = json!({"options": {"lr": 0.02, "epochs": 10}, "widths": [22, 40, 88], "y": true});
        let d = differences(&a, &b);
        let paths: Vec<_> = d.iter().map(|d| d.path.as_str()).collect();
        assert_eq!(paths, ["options.lr", "widths[1]", "x", "y"]);
        assert_eq!(d[0].left, Some(json!(0.01)));
        assert_eq!(d[0].right, Some(json!(0.02)));
        assert_eq!((d[2].right.clone(), d[3].left.clone()), (None, None));
        assert_eq!(
            describe(&d, "recorded", "given"),
            "`options.lr`: 0.01 recorded, 0.02 given; `widths[1]`: 44 recorded, 40 given; \
             `x`: 1 recorded, absent given; and 1 more"
        );
    }

    #[test]
    fn arrays_of_other_lengths_and_other_types_are_one_difference() {
        let d = differences(&json!({"w": [1, 2]}), &json!({"w": [1, 2, 3]}));
        assert_eq!(d.len(), 1);
        assert_eq!(describe(&d, "a", "b"), "`w`: [1,2] a, [1,2,3] b");
        let d = differences(&json!(3), &json!("3"));
        assert_eq!(describe(&d, "a", "b"), "`the whole record`: 3 a, \"3\" b");
    }

    #[test]
    fn long_values_are_cut() {
        let long = "x".repeat(100);
        let d = differences(&json!({ "s": long }), &json!({"s": "y"}));
        let s = describe(&d, "a", "b");
        assert!(
            s.starts_with(&format!("`s`: \"{}...", "x".repeat(59))),
            "{s}"
        );
        assert!(s.len() < 100, "{s}");
    }
}
