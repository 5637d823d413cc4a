//! Docker credential helpers (`docker-credential-<name>`), as named by a config file's
//! `credHelpers.<host>` or `credsStore`.
//!
//! The protocol is Docker's: the helper is run with one argument, `get`, `store` or `erase`;
//! `get` and `erase` read the server (here the registry's `host[:port]`) on stdin, `store`
//! reads `{"ServerURL","Username","Secret"}`; `get` prints the same object, or fails with
//! `credentials not found in native keychain` when it has nothing. The program is looked up
//! on `PATH` and runs with Rudder's environment (a helper needs its own configuration, such
//! as `PASSWORD_STORE_DIR` for `pass`); it is given no terminal input and its stderr is
//! captured, so it cannot prompt. The secret it returns never appears in errors or logs.

use std::io::Write as _;
use std::process::{Command, Stdio};

use serde::{Deserialize, Serialize};

use crate::error::CredentialsError;

/// What a helper prints when it has no credentials for the server.
const NOT_FOUND: &str = "credentials not found in native keychain";

/// One credential helper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialHelper {
    name: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct HelperCredentials {
    #[serde(rename = "ServerURL", default)]
    server_url: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    secret: String,
}

impl CredentialHelper {
    /// The helper `docker-credential-<name>`.
    pub fn new(name: impl Into<String>) -> Self {
        Self { name: name.into() }
    }

    /// The program run.
    pub fn program(&self) -> String {
        format!("docker-credential-{}", self.name)
    }

    /// The user name and secret the helper holds for `host`, or `None`.
    pub fn get(&self, host: &str) -> Result<Option<(String, String)>, CredentialsError> {
        let out = self.run("get", host.as_bytes(), host)?;
        if !out.status.success() {
            let said = String::from_utf8_lossy(&out.stdout);
            if said.trim() == NOT_FOUND {
                return Ok(None);
            }
            return Err(self.failed(host, &out));
        }
        let found: HelperCredentials =
            serde_json::from_slice(&out.stdout).map_err(|e| CredentialsError::Helper {
                helper: self.program(),
                host: host.to_string(),
                message: format!("unreadable answer to get: {e}"),
            })?;
        if found.username.is_empty() && found.secret.is_empty() {
            return Ok(None);
        }
        Ok(Some((found.username, found.secret)))
    }

    /// Stores `username`/`secret` for `host` in the helper.
    pub fn store(&self, host: &str, username: &str, secret: &str) -> Result<(), CredentialsError> {
        let input = serde_json::to_vec(&HelperCredentials {
            server_url: host.to_string(),
            username: username.to_string(),
            secret: secret.to_string(),
        })
        .map_err(|e| CredentialsError::Helper {
            helper: self.program(),
            host: host.to_string(),
            message: e.to_string(),
        })?;
        let out = self.run("store", &input, host)?;
        if out.status.success() {
            Ok(())
        } else {
            Err(self.failed(host, &out))
        }
    }

    /// Removes the credentials for `host`; returns whether the helper had any.
    pub fn erase(&self, host: &str) -> Result<bool, CredentialsError> {
        let out = self.run("erase", host.as_bytes(), host)?;
        if out.status.success() {
            return Ok(true);
        }
        if String::from_utf8_lossy(&out.stdout).trim() == NOT_FOUND {
            return Ok(false);
        }
        Err(self.failed(host, &out))
    }

    fn run(
        &self,
        action: &str,
        input: &[u8],
        host: &str,
    ) -> Result<std::process::Output, CredentialsError> {
        let helper_error = |message: String| CredentialsError::Helper {
            helper: self.program(),
            host: host.to_string(),
            message,
        };
        let mut child = Command::new(self.program())
            .arg(action)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| helper_error(format!("cannot run it: {e}")))?;
        if let Some(mut stdin) = child.stdin.take() {
            // A helper that exits without reading its input is judged by its exit status.
            let _ = stdin.write_all(input);
        }
        child
            .wait_with_output()
            .map_err(|e| helper_error(format!("cannot wait for it: {e}")))
    }

    fn failed(&self, host: &str, out: &std::process::Output) -> CredentialsError {
        // Helpers report errors on stdout (Docker's convention) or stderr; neither carries the
        // secret, which only ever travels on stdin.
        let said = [&out.stdout, &out.stderr]
            .iter()
            .map(|b| String::from_utf8_lossy(b).trim().to_string())
            .find(|s| !s.is_empty())
            .unwrap_or_else(|| "no message".to_string());
        CredentialsError::Helper {
            helper: self.program(),
            host: host.to_string(),
            message: format!(
                "{}: {}",
                out.status,
                said.split_whitespace().collect::<Vec<_>>().join(" ")
            ),
        }
    }
}
