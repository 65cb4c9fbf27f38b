//! The field names of a struct, read from its own `Deserialize` (serde
//! hands every struct's field list to the deserializer), so a checker that
//! names the accepted fields never keeps a copy of them.
//!
//! ```
//! #[derive(serde::Deserialize)]
//! struct Patch { enabled: Option<bool>, rate: Option<f64> }
//! assert_eq!(chaoslab_contract::fields::names::<Patch>(), ["enabled", "rate"]);
//! ```

use serde::de::{Deserialize, Deserializer, Error as _, Visitor, value::Error};

/// The fields of `T`'s serialized form; empty when `T` is not a struct.
pub fn names<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    let mut out: &'static [&'static str] = &[];
    let _ = T::deserialize(Probe(&mut out));
    out
}

/// A deserializer that only notes the field list it is asked for.
struct Probe<'a>(&'a mut &'static [&'static str]);

impl<'de> Deserializer<'de> for Probe<'_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Error> {
        Err(Error::custom("not a struct"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Error> {
        *self.0 = fields;
        Err(Error::custom("field names noted"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map enum identifier ignored_any
    }
}
