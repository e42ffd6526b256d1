//! Secret-bearing newtypes (client secret, access and refresh tokens) whose `Debug` is redacted.

use std::fmt;

use serde::Deserialize;

/// A string that must never reach a log line: `Debug` prints `Secret(***)` and there is no
/// `Display`. Read the value only at the point where it goes on the wire, via [`Secret::expose`].
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The raw value, for putting on the wire or into encrypted storage.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

macro_rules! secret_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Secret);

        impl $name {
            pub fn new(value: impl Into<String>) -> Self {
                Self(Secret::new(value))
            }

            /// The raw token, for the wire or for encrypted storage only.
            pub fn expose(&self) -> &str {
                self.0.expose()
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "(***)"))
            }
        }
    };
}

secret_newtype!(
    /// A Pinterest user access token (`pina_…`), sent as `Authorization: Bearer`.
    AccessToken
);
secret_newtype!(
    /// A Pinterest refresh token (`pinr_…`); it rotates on every refresh.
    RefreshToken
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_of_secrets_never_contains_the_value() {
        let secret = Secret::new("hunter2");
        let access = AccessToken::new("pina_abc");
        let refresh = RefreshToken::new("pinr_def");

        let printed = format!("{secret:?} {access:?} {refresh:?}");

        assert!(!printed.contains("hunter2"));
        assert!(!printed.contains("pina_abc"));
        assert!(!printed.contains("pinr_def"));
        assert_eq!(printed, "Secret(***) AccessToken(***) RefreshToken(***)");
    }

    #[test]
    fn tokens_deserialize_from_plain_json_strings() {
        let token: AccessToken = serde_json::from_str("\"pina_xyz\"").unwrap();
        assert_eq!(token.expose(), "pina_xyz");
    }
}
