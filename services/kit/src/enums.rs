//! Text-backed enums: a closed set of values stored and sent as snake_case text.
//!
//! [`text_enum!`] declares the enum once, with each variant's text beside it, and derives
//! everything the services need from that one list: serde (the same text on the wire),
//! the OpenAPI schema, `as_str`, `parse`, `ALL`, `Display` and `FromStr`. Queries compare
//! columns with `Status::Closed.as_str()`, never a string typed by hand, so renaming or
//! removing a value is a compile error wherever it is used.

/// What every text-backed enum offers, for code that is generic over them (lifecycles).
pub trait TextEnum: Copy + Eq + std::fmt::Debug + Send + Sync + 'static {
    /// Every value, in declaration order (the order `allowed_actions` lists them in).
    const ALL: &'static [Self];

    fn as_str(self) -> &'static str;

    fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.as_str() == s)
    }
}

/// Declare a text-backed enum:
///
/// ```
/// xs_kit::text_enum! {
///     /// Where a topic is.
///     pub enum TopicStatus {
///         /// Waiting for a member.
///         Open = "open",
///         Claimed = "claimed",
///     }
/// }
/// assert_eq!(TopicStatus::Open.as_str(), "open");
/// assert_eq!(TopicStatus::parse("claimed"), Some(TopicStatus::Claimed));
/// assert_eq!(TopicStatus::ALL.len(), 2);
/// ```
///
/// Extra derives may be given as attributes (`#[derive(PartialOrd, Ord)]`); `Debug`, `Clone`,
/// `Copy`, `PartialEq`, `Eq`, `Hash`, `Serialize`, `Deserialize` and `ToSchema` are always there.
#[macro_export]
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $(
                $(#[$vmeta:meta])*
                $variant:ident = $text:tt
            ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash,
            ::serde::Serialize, ::serde::Deserialize, ::utoipa::ToSchema,
        )]
        $vis enum $name {
            $(
                $(#[$vmeta])*
                #[serde(rename = $text)]
                $variant,
            )+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            pub fn parse(s: &str) -> Option<$name> {
                match s {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl $crate::enums::TextEnum for $name {
            const ALL: &'static [$name] = $name::ALL;

            fn as_str(self) -> &'static str {
                $name::as_str(self)
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::enums::UnknownValue;

            fn from_str(s: &str) -> Result<$name, $crate::enums::UnknownValue> {
                $name::parse(s).ok_or_else(|| $crate::enums::UnknownValue {
                    value: s.to_string(),
                    expected: $name::ALL.iter().map(|v| v.as_str()).collect(),
                })
            }
        }
    };
}

/// A text that is none of an enum's values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not one of: {}", expected.join(", "))]
pub struct UnknownValue {
    pub value: String,
    pub expected: Vec<&'static str>,
}

/// A stored value that no longer parses means the database holds something the code does not
/// know (a migration missed a value): an internal error naming what and where, never a guess.
pub fn stored<T: TextEnum>(what: &str, value: &str) -> crate::ApiResult<T> {
    T::parse(value).ok_or_else(|| {
        crate::ApiError::internal(anyhow::anyhow!("stored {what} has unknown value {value:?}"))
    })
}

#[cfg(test)]
mod tests {
    use super::TextEnum;
    use utoipa::PartialSchema;

    crate::text_enum! {
        /// A test enum.
        #[derive(PartialOrd, Ord)]
        pub enum Colour {
            /// The first.
            Red = "red",
            DeepBlue = "deep_blue",
        }
    }

    #[test]
    fn text_round_trips_everywhere() {
        for c in Colour::ALL {
            assert_eq!(Colour::parse(c.as_str()), Some(*c));
            assert_eq!(c.as_str().parse::<Colour>().ok(), Some(*c));
            assert_eq!(c.to_string(), c.as_str());
            let json = serde_json::to_string(c).expect("serialises");
            assert_eq!(json, format!("\"{}\"", c.as_str()));
            assert_eq!(serde_json::from_str::<Colour>(&json).ok(), Some(*c));
        }
        assert_eq!(Colour::DeepBlue.as_str(), "deep_blue");
        assert_eq!(<Colour as TextEnum>::parse("red"), Some(Colour::Red));
        assert!(Colour::Red < Colour::DeepBlue);
    }

    #[test]
    fn unknown_text_is_refused_with_the_choices() {
        assert_eq!(Colour::parse("Red"), None);
        let e = "green".parse::<Colour>().expect_err("unknown");
        assert_eq!(e.expected, ["red", "deep_blue"]);
        assert!(e.to_string().contains("red, deep_blue"));
        assert!(serde_json::from_str::<Colour>("\"green\"").is_err());
        assert!(super::stored::<Colour>("colour", "green").is_err());
    }

    #[test]
    fn the_schema_lists_the_texts() {
        let schema = serde_json::to_value(Colour::schema()).expect("schema");
        let values = schema["enum"].as_array().expect("an enum schema");
        assert_eq!(values, &["red", "deep_blue"]);
    }
}
