//! Identities kept in the operating system's credential store instead of a file, named
//! `keyring:NAME` wherever an identity path goes: Windows Credential Manager (protected by
//! DPAPI under the account's logon), the Secret Service on Linux desktops (GNOME Keyring,
//! `KWallet`). The store holds the text of an identity file, so everything that reads one reads
//! these too.

use std::path::Path;

use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// What marks an identity "path" as a name in the credential store.
pub const PREFIX: &str = "keyring:";

/// The `service` of every credential vault stores; the identity's name is its `user`.
#[cfg(any(windows, feature = "keyring"))]
const SERVICE: &str = "vault";

/// The name in `keyring:NAME`, when `path` is one.
pub fn name_of(path: &Path) -> Option<&str> {
    path.to_str()?
        .strip_prefix(PREFIX)
        .filter(|name| !name.is_empty())
}

/// The identity stored under `name`.
pub fn read(name: &str) -> Result<Zeroizing<Vec<u8>>> {
    imp::read(name)
}

/// Stores a new identity under `name`, refusing to replace one.
pub fn write_new(name: &str, contents: &[u8]) -> Result<()> {
    imp::write_new(name, contents)
}

fn unreachable_store(name: &str, reason: &str) -> Error {
    Error::KeyringUnavailable {
        name: name.to_owned(),
        reason: reason.to_owned(),
    }
}

#[cfg(any(windows, feature = "keyring"))]
mod imp {
    use keyring::{Entry, Error as StoreError};
    use zeroize::Zeroizing;

    use super::{SERVICE, unreachable_store};
    use crate::error::{Error, Result};

    fn entry(name: &str) -> Result<Entry> {
        Entry::new(SERVICE, name).map_err(|e| unreachable_store(name, &e.to_string()))
    }

    pub fn read(name: &str) -> Result<Zeroizing<Vec<u8>>> {
        match entry(name)?.get_secret() {
            Ok(secret) => Ok(Zeroizing::new(secret)),
            Err(StoreError::NoEntry) => Err(Error::KeyringMissing(name.to_owned())),
            Err(e) => Err(unreachable_store(name, &e.to_string())),
        }
    }

    pub fn write_new(name: &str, contents: &[u8]) -> Result<()> {
        let entry = entry(name)?;
        match entry.get_secret() {
            Ok(existing) => {
                drop(Zeroizing::new(existing));
                return Err(Error::with_hint(
                    format!("keyring:{name} already exists; refusing to overwrite it"),
                    "choose another name",
                ));
            }
            Err(StoreError::NoEntry) => {}
            Err(e) => return Err(unreachable_store(name, &e.to_string())),
        }
        entry
            .set_secret(contents)
            .map_err(|e| unreachable_store(name, &e.to_string()))
    }
}

#[cfg(not(any(windows, feature = "keyring")))]
mod imp {
    use zeroize::Zeroizing;

    use super::unreachable_store;
    use crate::error::Result;

    const BUILT_WITHOUT: &str = "this build of vault has no credential store support (build it \
        in with cargo install --locked --features keyring --path .)";

    pub fn read(name: &str) -> Result<Zeroizing<Vec<u8>>> {
        Err(unreachable_store(name, BUILT_WITHOUT))
    }

    pub fn write_new(name: &str, _contents: &[u8]) -> Result<()> {
        Err(unreachable_store(name, BUILT_WITHOUT))
    }
}
