//! Numbers as the tables have always shown them: Rust's shortest form that reads back to the
//! same f64 (`0.5`, `1`, `NaN`), not the `csv` crate's (`1.0`). Read back from text or from a
//! JSON number alike, so the run record (JSON) and the tables share the rows. Used as
//! `#[serde(with = "num")]` and its siblings on the rows' fields.
use serde::de::{self, Deserializer, Visitor};
use serde::Serializer;
use std::marker::PhantomData;

/// Writes `v` in its shortest round-trip form, as text.
pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

/// Reads a number from a number or from its text (`NaN`, `inf` included); `null` too when
/// `null_is_nan`.
struct Number {
    null_is_nan: bool,
}

impl Visitor<'_> for Number {
    type Value = f64;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(if self.null_is_nan {
            "a number, NaN, inf or -inf"
        } else {
            "a number"
        })
    }
    fn visit_unit<E: de::Error>(self) -> Result<f64, E> {
        if self.null_is_nan {
            Ok(f64::NAN)
        } else {
            Err(E::invalid_type(de::Unexpected::Unit, &self))
        }
    }
    fn visit_none<E: de::Error>(self) -> Result<f64, E> {
        self.visit_unit()
    }
    fn visit_f64<E>(self, v: f64) -> Result<f64, E> {
        Ok(v)
    }
    fn visit_i64<E>(self, v: i64) -> Result<f64, E> {
        Ok(v as f64)
    }
    fn visit_u64<E>(self, v: u64) -> Result<f64, E> {
        Ok(v as f64)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<f64, E> {
        v.trim()
            .parse()
            .map_err(|_| E::custom(format!("`{v}` is not a number")))
    }
}

/// Reads a number written by [`serialize`] (or a plain number).
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    d.deserialize_any(Number { null_is_nan: false })
}

/// How one number of a list is written and read: the tables' text form or the lossless JSON
/// form; [`Each`] applies it to every element.
trait Form {
    fn write<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error>;
    fn read<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error>;
}

/// One element of a list, written and read in form `F`.
struct Each<F>(f64, PhantomData<F>);

impl<F: Form> serde::Serialize for Each<F> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        F::write(&self.0, s)
    }
}

impl<'de, F: Form> serde::Deserialize<'de> for Each<F> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        F::read(d).map(|x| Each(x, PhantomData))
    }
}

fn write_all<F: Form, S: Serializer>(v: &[f64], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(v.iter().map(|&x| Each::<F>(x, PhantomData)))
}

fn read_all<'de, F: Form, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
    let v: Vec<Each<F>> = serde::Deserialize::deserialize(d)?;
    Ok(v.into_iter().map(|x| x.0).collect())
}

/// For JSON: a finite number as a JSON number, NaN and the infinities as the strings `NaN`,
/// `inf`, `-inf` (JSON has no non-finite numbers; serde_json would write `null`, which reads
/// back as no number at all). Reads numbers, those strings, and `null` as NaN (the form files
/// written by atrophy 0.1.0 hold).
pub mod lossless {
    use super::*;

    /// Writes `v` as a JSON number when finite, else as text.
    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        if v.is_finite() {
            s.serialize_f64(*v)
        } else {
            super::serialize(v, s)
        }
    }

    /// Reads a number, its text, or `null` as NaN.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        d.deserialize_any(Number { null_is_nan: true })
    }

    pub(super) struct Json;

    impl Form for Json {
        fn write<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
            serialize(v, s)
        }
        fn read<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
            deserialize(d)
        }
    }

    /// A list of such numbers.
    pub mod vec {
        use super::*;

        /// Writes every element losslessly.
        pub fn serialize<S: Serializer>(v: &[f64], s: S) -> Result<S::Ok, S::Error> {
            write_all::<Json, S>(v, s)
        }

        /// Reads every element as [`super::deserialize`] does.
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
            read_all::<Json, D>(d)
        }
    }
}

/// Wall seconds, to the millisecond.
pub mod millis {
    use serde::{Deserializer, Serializer};

    /// Writes `v` with three decimals.
    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("{v:.3}"))
    }

    /// Reads a number.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        super::deserialize(d)
    }
}

struct Text;

impl Form for Text {
    fn write<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        serialize(v, s)
    }
    fn read<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        deserialize(d)
    }
}

/// A trailing run of numbers (the per-class columns).
pub mod vec {
    use super::*;

    /// Writes every element in the shortest round-trip form.
    pub fn serialize<S: Serializer>(v: &[f64], s: S) -> Result<S::Ok, S::Error> {
        write_all::<Text, S>(v, s)
    }

    /// Reads every element as [`super::deserialize`] does.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
        read_all::<Text, D>(d)
    }
}
