//! The one macro behind EMR's enums: wire names, `ALL`, `as_str`, `parse`, Display,
//! FromStr and comparison with the wire name (`state == "RUNNING"`).

/// `wire_enum! { /// docs \n Name, "what it is" { Variant => "WIRE", … } }`
macro_rules! wire_enum {
    ($(#[$doc:meta])* $name:ident, $kind:literal { $($variant:ident => $wire:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, ::serde::Serialize, ::serde::Deserialize)]
        pub enum $name {
            $(#[serde(rename = $wire)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// EMR's name, e.g. `"RUNNING"`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $wire),+
                }
            }

            pub fn parse(text: &str) -> Result<Self, $crate::states::UnknownState> {
                Self::ALL
                    .iter()
                    .copied()
                    .find(|state| state.as_str() == text)
                    .ok_or_else(|| $crate::states::UnknownState { kind: $kind, name: text.to_string() })
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::states::UnknownState;
            fn from_str(text: &str) -> Result<Self, $crate::states::UnknownState> {
                Self::parse(text)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.as_str() == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }
    };
}
