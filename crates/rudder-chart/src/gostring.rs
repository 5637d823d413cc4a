//! Helm's lenient string fields.
//!
//! Helm decodes Chart.yaml through `sigs.k8s.io/yaml`, which turns a YAML number or
//! boolean into a string when the Go field is a string: integers in decimal, floats with
//! Go's `strconv.FormatFloat(f, 'g', -1, 32)` (so `1.10` becomes `"1.1"` and `1.0`
//! becomes `"1"`), booleans as `true`/`false`, and `null` as the empty string.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, Visitor};

/// A string field decoded with Helm's leniency.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct GoString(pub String);

impl<'de> Deserialize<'de> for GoString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = GoString;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<GoString, E> {
                Ok(GoString(v.to_string()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<GoString, E> {
                Ok(GoString(v))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<GoString, E> {
                Ok(GoString(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<GoString, E> {
                Ok(GoString(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<GoString, E> {
                Ok(GoString(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<GoString, E> {
                Ok(GoString(format_float32_g(v)))
            }
            fn visit_unit<E: de::Error>(self) -> Result<GoString, E> {
                Ok(GoString::default())
            }
            fn visit_none<E: de::Error>(self) -> Result<GoString, E> {
                Ok(GoString::default())
            }
        }
        d.deserialize_any(V)
    }
}

/// Go's `strconv.FormatFloat(v, 'g', -1, 32)`.
pub(crate) fn format_float32_g(v: f64) -> String {
    let v = f64::from(v as f32);
    rudder_values::goyaml::format_float_g(v, rudder_values::goyaml::FloatSize::F32)
}

#[cfg(test)]
mod tests {
    use super::format_float32_g;

    #[test]
    fn matches_go_formatting() {
        // Expected strings are Go's strconv.FormatFloat(x, 'g', -1, 32) for these inputs.
        assert_eq!(format_float32_g(1.10), "1.1");
        assert_eq!(format_float32_g(1.0), "1");
        assert_eq!(format_float32_g(0.1), "0.1");
        assert_eq!(format_float32_g(1e6), "1e+06");
        assert_eq!(format_float32_g(123456.0), "123456");
        assert_eq!(format_float32_g(0.0001), "0.0001");
        assert_eq!(format_float32_g(0.00001), "1e-05");
        assert_eq!(format_float32_g(-2.5), "-2.5");
    }
}
