//! The `subprocess` runtime: Helm's native plugins (helm-diff style), run as child processes.
//!
//! **Not sandboxed.** A subprocess plugin is an ordinary program started with the user's full
//! rights and the whole environment Rudder was given, exactly as Helm runs it; none of the
//! limits of [`crate::sandbox`] apply. `rudder plugin list` marks these plugins
//! `subprocess (unsandboxed)`.
//!
//! What Rudder does, following Helm 4.1.4:
//! - **command selection** from `platformCommand` ([`select_command`]): an entry whose `os`
//!   and `arch` both match wins; else the first entry whose `os` matches and whose `arch` is
//!   empty; else the first entry with both empty. Entries naming an `arch` need a matching
//!   `os`. `os`/`arch` use Go's names (`linux`, `darwin`, `amd64`, `arm64`…). The `command`
//!   string is split on single spaces; its first word is the program.
//! - **environment**: the caller's candidate environment (usually the whole process
//!   environment, with `HELM_BIN` and the other `HELM_*` settings added by the CLI), plus
//!   `HELM_PLUGIN_NAME` and `HELM_PLUGIN_DIR` (and `RUDDER_PLUGIN_NAME`/`RUDDER_PLUGIN_DIR`).
//! - **`$VAR` expansion** with Go's `os.Expand` rules ([`expand`]) against that environment: on
//!   the program always; on arguments for `cli/v1` and `postrenderer/v1`; on hook arguments
//!   only for legacy `platformHooks` (see [`SubprocessConfig::expand_hook_args`]); never on
//!   getter arguments.
//! - **`cli/v1`**: program + manifest args + the user's arguments; stdio as the caller says
//!   (the CLI passes the terminal). A non-zero exit is [`Failure::Exit`].
//! - **`postrenderer/v1`**: the manifests on stdin, `--post-renderer-args` appended to the
//!   args, the new manifests read from stdout (empty output is an error, as in Helm).
//! - **`getter/v1`**: the `protocolCommands` entry listing the URL's scheme, its program
//!   resolved against the plugin directory, run as `PROGRAM ARGS… certFile keyFile caFile
//!   href` with `HELM_PLUGIN_USERNAME`, `HELM_PLUGIN_PASSWORD` and
//!   `HELM_PLUGIN_PASS_CREDENTIALS_ALL` set; the content is its stdout. Rudder extension: a
//!   v1 getter with no `protocolCommands` runs its `platformCommand` the same way (Helm 4.1.4
//!   fails with "no downloader found").
//! - **hooks** ([`SubprocessPlugin::run_hook`]): `platformHooks.install|update|delete`, run by
//!   the lifecycle operations; legacy `hooks: {install: CMD}` run as `sh -c CMD`.

use std::collections::BTreeMap;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::error::{Failure, PluginError};
use crate::manifest::{
    MANIFEST_FILE, Metadata, PlatformCommand, RuntimeConfig, RuntimeKind, SubprocessConfig,
};
use crate::messages::{
    CliOutput, GetterInput, GetterOutput, Message, PostRendererOutput, Response,
};
use crate::runtime::{CallIo, Invocation, MAX_CAPTURED_OUTPUT, OutputSink, StdinSource};

/// A plugin lifecycle event with hooks (`platformHooks` keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookEvent {
    /// After the plugin was installed.
    Install,
    /// After the plugin was updated.
    Update,
    /// Before the plugin is removed.
    Delete,
}

impl HookEvent {
    /// The key in `platformHooks`.
    pub fn as_str(self) -> &'static str {
        match self {
            HookEvent::Install => "install",
            HookEvent::Update => "update",
            HookEvent::Delete => "delete",
        }
    }
}

/// Go's `runtime.GOOS` for the running platform.
pub fn go_os() -> &'static str {
    match std::env::consts::OS {
        "macos" => "darwin",
        other => other,
    }
}

/// Go's `runtime.GOARCH` for the running platform.
pub fn go_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" if cfg!(target_endian = "little") => "ppc64le",
        "powerpc64" => "ppc64",
        "loongarch64" => "loong64",
        other => other,
    }
}

/// Picks the command for `os`/`arch` from `platformCommand` entries (rules in the module
/// docs) and splits it: `(words of command, args)`. `None` if no entry applies.
pub fn select_command<'a>(
    commands: &'a [PlatformCommand],
    os: &str,
    arch: &str,
) -> Option<(Vec<&'a str>, &'a [String])> {
    let mut chosen: Option<&PlatformCommand> = None;
    let mut os_matched = false;
    for c in commands {
        let os_eq = c.os.eq_ignore_ascii_case(os);
        if os_eq && c.arch.eq_ignore_ascii_case(arch) {
            chosen = Some(c);
            break;
        }
        if (!c.os.is_empty() && !os_eq) || !c.arch.is_empty() {
            continue;
        }
        if !os_matched && !c.os.is_empty() {
            chosen = Some(c);
            os_matched = true;
        } else if chosen.is_none() {
            chosen = Some(c);
        }
    }
    let c = chosen?;
    let words: Vec<&str> = c.command.split(' ').collect();
    if words.first().is_none_or(|w| w.is_empty()) {
        return None;
    }
    Some((words, c.args.as_slice()))
}

/// Go's `os.Expand`: replaces `$NAME` and `${NAME}` with `lookup(NAME)` (empty when unset).
/// `$` followed by a shell special character (`*#$@!?-` or a digit) names that one
/// character; `${}` and an unclosed `${` are dropped; a `$` followed by anything else, or at
/// the end, stays.
pub fn expand(text: &str, lookup: impl Fn(&str) -> Option<String>) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut start = 0;
    let mut j = 0;
    while j < bytes.len() {
        if bytes[j] == b'$' && j + 1 < bytes.len() {
            out.push_str(&text[start..j]);
            let (name, width) = shell_name(&text[j + 1..]);
            match name {
                Some(name) => out.push_str(&lookup(name).unwrap_or_default()),
                None if width == 0 => out.push('$'),
                None => {}
            }
            j += width;
            start = j + 1;
        }
        j += 1;
    }
    out.push_str(&text[start.min(text.len())..]);
    out
}

fn is_special(c: u8) -> bool {
    matches!(c, b'*' | b'#' | b'$' | b'@' | b'!' | b'?' | b'-') || c.is_ascii_digit()
}

/// The variable name at the start of `s` (just after a `$`) and how many bytes it spans.
fn shell_name(s: &str) -> (Option<&str>, usize) {
    let b = s.as_bytes();
    if b[0] == b'{' {
        if b.len() > 2 && is_special(b[1]) && b[2] == b'}' {
            return (Some(&s[1..2]), 3);
        }
        for (i, &c) in b.iter().enumerate().skip(1) {
            if c == b'}' {
                if i == 1 {
                    return (None, 2);
                }
                return (Some(&s[1..i]), i + 1);
            }
        }
        return (None, 1);
    }
    if is_special(b[0]) {
        return (Some(&s[0..1]), 1);
    }
    let n = b
        .iter()
        .take_while(|&&c| c == b'_' || c.is_ascii_alphanumeric())
        .count();
    if n == 0 {
        (None, 0)
    } else {
        (Some(&s[..n]), n)
    }
}

/// A prepared command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandLine {
    /// The program (expanded).
    pub program: String,
    /// Its arguments.
    pub args: Vec<String>,
}

/// Helm's `PrepareCommands`: selects the platform's command, expands `$VAR`s in the program
/// (and in the arguments when `expand_args`), and appends `extra`.
pub fn prepare(
    commands: &[PlatformCommand],
    expand_args: bool,
    extra: &[String],
    env: &BTreeMap<String, String>,
) -> Option<CommandLine> {
    let (words, args) = select_command(commands, go_os(), go_arch())?;
    let lookup = |k: &str| env.get(k).cloned();
    let program = expand(words[0], lookup);
    let expand_arg = |a: &str| {
        if expand_args {
            expand(a, lookup)
        } else {
            a.to_string()
        }
    };
    let mut all: Vec<String> = words[1..].iter().map(|w| expand_arg(w)).collect();
    all.extend(args.iter().map(|a| expand_arg(a)));
    all.extend(extra.iter().cloned());
    Some(CommandLine { program, args: all })
}

/// An installed `subprocess` plugin.
#[derive(Debug, Clone)]
pub struct SubprocessPlugin {
    dir: PathBuf,
    metadata: Metadata,
    config: SubprocessConfig,
}

impl SubprocessPlugin {
    /// Reads `<dir>/plugin.yaml`.
    pub fn load_dir(dir: &Path) -> Result<Self, PluginError> {
        let path = dir.join(MANIFEST_FILE);
        let text = std::fs::read_to_string(&path).map_err(|source| PluginError::Read {
            path: path.clone(),
            source,
        })?;
        let metadata = crate::manifest::parse(&text, &path.display().to_string())?;
        Self::new(dir, metadata)
    }

    /// A plugin in `dir` with this manifest; fails unless its runtime is `subprocess`.
    pub fn new(dir: &Path, metadata: Metadata) -> Result<Self, PluginError> {
        let RuntimeConfig::Subprocess(config) = &metadata.runtime_config else {
            return Err(PluginError::WrongRuntime {
                plugin: metadata.name.clone(),
                runtime: metadata.runtime,
                expected: RuntimeKind::Subprocess,
            });
        };
        Ok(SubprocessPlugin {
            dir: dir.to_path_buf(),
            config: config.clone(),
            metadata,
        })
    }

    /// The manifest.
    pub fn metadata(&self) -> &Metadata {
        &self.metadata
    }

    /// The plugin directory (`HELM_PLUGIN_DIR`).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn fail(&self, failure: Failure) -> PluginError {
        PluginError::Invoke {
            plugin: self.metadata.name.clone(),
            failure,
        }
    }

    /// The environment of a call: the candidates, then the plugin's name and directory.
    fn environment(&self, candidates: &[(String, String)]) -> BTreeMap<String, String> {
        let mut env: BTreeMap<String, String> = candidates.iter().cloned().collect();
        let dir = self.dir.to_string_lossy().into_owned();
        for (k, v) in [
            ("HELM_PLUGIN_NAME", &self.metadata.name),
            ("HELM_PLUGIN_DIR", &dir),
            ("RUDDER_PLUGIN_NAME", &self.metadata.name),
            ("RUDDER_PLUGIN_DIR", &dir),
        ] {
            env.insert(k.to_string(), v.clone());
        }
        env
    }

    /// Runs the plugin for `message` (which must match its type), as the module docs
    /// describe. `io.args` is ignored: the arguments come from the message.
    pub fn invoke(&self, message: &Message, io: CallIo) -> Result<Invocation, PluginError> {
        let expected = message.plugin_type();
        if expected != self.metadata.plugin_type {
            return Err(PluginError::WrongType {
                plugin: self.metadata.name.clone(),
                actual: self.metadata.plugin_type,
                expected,
            });
        }
        let started = Instant::now();
        let no_command = || self.fail(Failure::Setup("no plugin command is applicable".into()));
        match message {
            Message::Cli(input) => {
                let env = self.environment(&io.env);
                let line = prepare(&self.config.platform_command, true, &input.extra_args, &env)
                    .ok_or_else(no_command)?;
                let out = self.run(&line, &env, io.stdin, io.stdout, io.stderr)?;
                Ok(Invocation {
                    response: Response::Cli(CliOutput::default()),
                    stdout: out.stdout,
                    stderr: out.stderr,
                    elapsed: started.elapsed(),
                })
            }
            Message::PostRenderer(input) => {
                let env = self.environment(&io.env);
                let line = prepare(&self.config.platform_command, true, &input.extra_args, &env)
                    .ok_or_else(no_command)?;
                let stdin = StdinSource::Bytes(input.manifests.clone().into_bytes());
                let out = self.run(&line, &env, stdin, OutputSink::Capture, OutputSink::Capture)?;
                let manifests = String::from_utf8(out.stdout).map_err(|_| {
                    self.fail(Failure::InvalidOutput(
                        "postrenderer/v1: output is not UTF-8".into(),
                    ))
                })?;
                if manifests.trim().is_empty() {
                    return Err(self.fail(Failure::InvalidOutput(
                        "postrenderer/v1: produced empty output".into(),
                    )));
                }
                Ok(Invocation {
                    response: Response::PostRenderer(PostRendererOutput { manifests }),
                    stdout: Vec::new(),
                    stderr: out.stderr,
                    elapsed: started.elapsed(),
                })
            }
            Message::Getter(input) => {
                let data = self.get(input, &io)?;
                Ok(Invocation {
                    response: Response::Getter(GetterOutput { data }),
                    stdout: Vec::new(),
                    stderr: Vec::new(),
                    elapsed: started.elapsed(),
                })
            }
        }
    }

    fn get(&self, input: &GetterInput, io: &CallIo) -> Result<Vec<u8>, PluginError> {
        let mut env = self.environment(&io.env);
        let o = &input.options;
        env.insert("HELM_PLUGIN_USERNAME".into(), o.username.clone());
        env.insert("HELM_PLUGIN_PASSWORD".into(), o.password.clone());
        env.insert(
            "HELM_PLUGIN_PASS_CREDENTIALS_ALL".into(),
            o.pass_credentials_all.to_string(),
        );
        let by_protocol = self
            .config
            .protocol_commands
            .iter()
            .find(|c| c.protocols.iter().any(|p| p == &input.protocol));
        let mut line = match by_protocol {
            Some(pc) => {
                let mut line =
                    prepare(&pc.platform_command, false, &[], &env).ok_or_else(|| {
                        self.fail(Failure::Setup(format!(
                            "no command for protocol {:?} is applicable",
                            input.protocol
                        )))
                    })?;
                // Helm joins the program to the plugin directory.
                if Path::new(&line.program).is_relative() {
                    line.program = self.dir.join(&line.program).to_string_lossy().into_owned();
                }
                line
            }
            None if self.config.protocol_commands.is_empty() => {
                prepare(&self.config.platform_command, false, &[], &env).ok_or_else(|| {
                    self.fail(Failure::Setup("no plugin command is applicable".into()))
                })?
            }
            None => {
                return Err(self.fail(Failure::Setup(format!(
                    "no downloader found for protocol {:?}",
                    input.protocol
                ))));
            }
        };
        line.args.extend([
            o.cert_file.clone(),
            o.key_file.clone(),
            o.ca_file.clone(),
            input.href.clone(),
        ]);
        let stderr = io.stderr;
        let out = self.run(&line, &env, StdinSource::Empty, OutputSink::Capture, stderr)?;
        Ok(out.stdout)
    }

    /// Runs the hook commands for `event`, if the manifest has any, with the terminal's
    /// stdout/stderr (as Helm). `env` is the candidate environment.
    pub fn run_hook(&self, event: HookEvent, env: &[(String, String)]) -> Result<(), PluginError> {
        let Some(commands) = self.config.platform_hooks.get(event.as_str()) else {
            return Ok(());
        };
        if commands.is_empty() {
            return Ok(());
        }
        let env = self.environment(env);
        let line = prepare(commands, self.config.expand_hook_args, &[], &env).ok_or_else(|| {
            self.fail(Failure::Setup(format!(
                "no {} hook command is applicable",
                event.as_str()
            )))
        })?;
        tracing::debug!(plugin = %self.metadata.name, hook = event.as_str(), program = %line.program, "running plugin hook");
        self.run(
            &line,
            &env,
            StdinSource::Empty,
            OutputSink::Inherit,
            OutputSink::Inherit,
        )
        .map(|_| ())
        .map_err(|e| match e {
            PluginError::Invoke {
                plugin,
                failure: Failure::Exit(code),
            } => PluginError::Invoke {
                plugin,
                failure: Failure::Reported {
                    code,
                    message: format!("{} hook exited with error", event.as_str()),
                },
            },
            other => other,
        })
    }

    /// Starts `line` with exactly `env`, feeds stdin, collects what is captured and waits.
    fn run(
        &self,
        line: &CommandLine,
        env: &BTreeMap<String, String>,
        stdin: StdinSource,
        stdout: OutputSink,
        stderr: OutputSink,
    ) -> Result<Captured, PluginError> {
        tracing::debug!(plugin = %self.metadata.name, program = %line.program, args = ?line.args, "executing subprocess plugin");
        let mut cmd = Command::new(&line.program);
        cmd.args(&line.args).env_clear().envs(env);
        let (stdin_bytes, stdin_cfg) = match stdin {
            StdinSource::Empty => (None, Stdio::null()),
            StdinSource::Bytes(b) => (Some(b), Stdio::piped()),
            StdinSource::Inherit => (None, Stdio::inherit()),
        };
        let sink = |s: OutputSink| match s {
            OutputSink::Capture => Stdio::piped(),
            OutputSink::Inherit => Stdio::inherit(),
            OutputSink::Discard => Stdio::null(),
        };
        cmd.stdin(stdin_cfg)
            .stdout(sink(stdout))
            .stderr(sink(stderr));
        let mut child = cmd
            .spawn()
            .map_err(|e| self.fail(Failure::Setup(format!("running {}: {e}", line.program))))?;
        let feeder = match (stdin_bytes, child.stdin.take()) {
            (Some(bytes), Some(mut pipe)) => Some(std::thread::spawn(move || {
                // A plugin may exit without reading all of its input; that is not an error.
                let _ = pipe.write_all(&bytes);
            })),
            _ => None,
        };
        let reader = |pipe: Option<Box<dyn std::io::Read + Send>>| {
            pipe.map(|p| {
                std::thread::spawn(move || {
                    let mut buf = Vec::new();
                    let read = p.take(MAX_CAPTURED_OUTPUT as u64 + 1).read_to_end(&mut buf);
                    read.map(|_| buf)
                })
            })
        };
        let out_thread = reader(
            child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
        );
        let err_thread = reader(
            child
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
        );
        let join = |t: Option<std::thread::JoinHandle<std::io::Result<Vec<u8>>>>| -> Result<Vec<u8>, PluginError> {
            match t {
                None => Ok(Vec::new()),
                Some(t) => {
                    let buf = t
                        .join()
                        .map_err(|_| self.fail(Failure::Setup("output reader panicked".into())))?
                        .map_err(|e| self.fail(Failure::Setup(format!("reading output: {e}"))))?;
                    if buf.len() > MAX_CAPTURED_OUTPUT {
                        return Err(self.fail(Failure::InvalidOutput(format!(
                            "output exceeds {MAX_CAPTURED_OUTPUT} bytes"
                        ))));
                    }
                    Ok(buf)
                }
            }
        };
        let out = join(out_thread);
        let err = join(err_thread);
        let status = child
            .wait()
            .map_err(|e| self.fail(Failure::Setup(format!("waiting for {}: {e}", line.program))))?;
        if let Some(f) = feeder {
            let _ = f.join();
        }
        let (stdout, stderr) = (out?, err?);
        if !status.success() {
            let code = status.code().unwrap_or(-1);
            let message = String::from_utf8_lossy(&stderr)
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or_default()
                .trim()
                .to_string();
            return Err(self.fail(if message.is_empty() {
                Failure::Exit(code)
            } else {
                Failure::Reported { code, message }
            }));
        }
        Ok(Captured { stdout, stderr })
    }
}

struct Captured {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pc(os: &str, arch: &str, command: &str) -> PlatformCommand {
        PlatformCommand {
            os: os.into(),
            arch: arch.into(),
            command: command.into(),
            args: Vec::new(),
        }
    }

    #[test]
    fn platform_command_priority() {
        let cmds = [
            pc("", "", "any"),
            pc("linux", "", "linux-any"),
            pc("linux", "arm64", "linux-arm64"),
            pc("", "amd64", "arch-only"),
            pc("darwin", "", "darwin"),
        ];
        let pick = |os, arch| select_command(&cmds, os, arch).map(|(w, _)| w[0]);
        assert_eq!(pick("linux", "arm64"), Some("linux-arm64"));
        assert_eq!(pick("linux", "amd64"), Some("linux-any"));
        assert_eq!(pick("darwin", "amd64"), Some("darwin"));
        assert_eq!(pick("windows", "amd64"), Some("any"));
        assert_eq!(pick("LINUX", "ARM64"), Some("linux-arm64"));
        assert_eq!(
            select_command(&[pc("", "amd64", "x")], "linux", "amd64"),
            None
        );
        assert_eq!(select_command(&[pc("", "", "")], "linux", "amd64"), None);
        let split = [pc("", "", "sh -c echo")];
        let (words, _) = select_command(&split, "linux", "amd64").unwrap();
        assert_eq!(words, ["sh", "-c", "echo"]);
    }

    #[test]
    fn go_expand_rules() {
        let env: BTreeMap<String, String> = [("A", "1"), ("HELM_PLUGIN_DIR", "/p"), ("1", "one")]
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .into();
        let x = |s: &str| expand(s, |k| env.get(k).cloned());
        assert_eq!(x("$HELM_PLUGIN_DIR/bin/x"), "/p/bin/x");
        assert_eq!(x("${HELM_PLUGIN_DIR}/bin"), "/p/bin");
        assert_eq!(x("a$A-b"), "a1-b");
        assert_eq!(x("$UNSET."), ".");
        assert_eq!(x("cost: $"), "cost: $");
        assert_eq!(x("$ x"), "$ x");
        assert_eq!(x("a${}b"), "ab");
        assert_eq!(x("a${A"), "aA");
        assert_eq!(x("$1$A"), "one1");
        assert_eq!(x("no vars"), "no vars");
    }

    #[test]
    fn prepare_expands_program_and_optionally_args() {
        let env: BTreeMap<String, String> = [("D".to_string(), "/dir".to_string())]
            .into_iter()
            .collect();
        let cmds = [PlatformCommand {
            command: "$D/run --flag=$D".into(),
            args: vec!["$D/a".into()],
            ..PlatformCommand::default()
        }];
        let extra = ["$D".to_string()];
        let line = prepare(&cmds, true, &extra, &env).unwrap();
        assert_eq!(line.program, "/dir/run");
        assert_eq!(line.args, ["--flag=/dir", "/dir/a", "$D"]);
        let line = prepare(&cmds, false, &[], &env).unwrap();
        assert_eq!(line.args, ["--flag=$D", "$D/a"]);
    }
}
