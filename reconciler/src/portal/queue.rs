//! The delivery queue's vocabulary: a record's status and its action, typed in Rust, checked by
//! PostgreSQL (CHECK constraints on `portal_deliveries`), and written into SQL only through
//! [`spelled`], so no query can compare with a misspelt word and silently match nothing.

use serde::{Deserialize, Serialize};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgTypeInfo, PgValueRef};
use sqlx::{Decode, Encode, Postgres, Type};

macro_rules! queue_word {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(rename_all = "lowercase")]
        pub enum $name {
            $($(#[$vmeta])* $variant),*
        }

        impl $name {
            pub const ALL: &'static [Self] = &[$(Self::$variant),*];

            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),*
                }
            }

            pub fn parse(text: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|w| w.as_str() == text)
            }
        }

        impl Type<Postgres> for $name {
            fn type_info() -> PgTypeInfo {
                <&str as Type<Postgres>>::type_info()
            }
        }

        impl Encode<'_, Postgres> for $name {
            fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
                <&str as Encode<Postgres>>::encode(self.as_str(), buf)
            }
        }

        impl<'r> Decode<'r, Postgres> for $name {
            fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
                let text = <&str as Decode<Postgres>>::decode(value)?;
                Self::parse(text).ok_or_else(|| format!("not a {}: {text:?}", stringify!($name)).into())
            }
        }
    };
}

queue_word! {
    /// Where a record stands.
    DeliveryStatus {
        /// To send, or to try again.
        Pending => "pending",
        /// The Portal accepted it (a 2xx answer).
        Delivered => "delivered",
        /// Refused by the Portal, or failing for longer than `PORTAL_GIVE_UP_AFTER`.
        Dead => "dead",
        /// A newer version of the mark replaced it before it went out.
        Superseded => "superseded",
    }
}

queue_word! {
    /// What the record tells the Portal about its mark.
    Action {
        /// A new mark.
        Created => "created",
        /// A delivered mark was corrected.
        Updated => "updated",
        /// A delivered mark was taken back (removed, its session deleted, its document gone).
        Removed => "removed",
    }
}

/// `sql` with `{pending}`, `{delivered}`, `{dead}`, `{superseded}`, `{created}`, `{updated}`
/// and `{removed}` written as the quoted words of [`DeliveryStatus`] and [`Action`].
pub fn spelled(sql: &str) -> String {
    let words = DeliveryStatus::ALL.iter().map(|s| s.as_str()).chain(Action::ALL.iter().map(|a| a.as_str()));
    words.fold(sql.to_owned(), |sql, word| sql.replace(&format!("{{{word}}}"), &format!("'{word}'")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_read_back_and_spell_sql() {
        for status in DeliveryStatus::ALL {
            assert_eq!(DeliveryStatus::parse(status.as_str()), Some(*status));
        }
        assert_eq!(Action::parse("removed"), Some(Action::Removed));
        assert_eq!(Action::parse("Removed"), None);
        assert_eq!(
            spelled("status IN ({pending}, {dead}) AND action <> {removed}"),
            "status IN ('pending', 'dead') AND action <> 'removed'"
        );
        assert_eq!(serde_json::to_string(&Action::Updated).expect("json"), "\"updated\"");
    }
}
