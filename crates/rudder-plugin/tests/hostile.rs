//! Hostile plugins (`testdata/plugins/`) are stopped or denied with a clear one-line error, and
//! the same host then runs a good plugin normally.

mod support;

use std::time::Duration;

use rudder_plugin::messages::CliInput;
use rudder_plugin::{CallIo, Failure, Message, PluginError, PluginHost};

fn run_hostile(host: &PluginHost, name: &str, io: CallIo) -> PluginError {
    let plugin = support::hostile(host, name);
    let err = plugin
        .invoke(&Message::Cli(CliInput::default()), io)
        .expect_err("the hostile plugin must fail");
    let text = err.to_string();
    assert!(
        text.starts_with(&format!("plugin \"hostile-{name}\" failed: ")),
        "{text}"
    );
    assert!(!text.contains('\n'), "one-line error: {text}");
    // The host is still healthy: a good plugin runs normally right after.
    let hello = support::example(host, "hello");
    let ok = hello
        .invoke(
            &Message::Cli(CliInput {
                extra_args: vec!["again".into()],
            }),
            CallIo::default(),
        )
        .expect("good plugin after a hostile one");
    assert_eq!(String::from_utf8_lossy(&ok.stdout), "Hello, again!\n");
    err
}

fn reported(err: &PluginError) -> String {
    match err.failure() {
        Some(Failure::Reported { message, .. }) => message.clone(),
        other => panic!("expected a plugin-reported refusal, got {other:?} ({err})"),
    }
}

#[test]
fn infinite_loop_is_stopped_at_the_timeout() {
    let host = support::host();
    let plugin = support::hostile(&host, "loop");
    let started = std::time::Instant::now();
    let err = plugin
        .invoke(&Message::Cli(CliInput::default()), CallIo::default())
        .expect_err("stopped");
    let elapsed = started.elapsed();
    assert_eq!(
        err.failure(),
        Some(&Failure::Timeout { limit_ms: 500 }),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "plugin \"hostile-loop\" failed: timed out after 500 ms"
    );
    assert!(
        elapsed >= Duration::from_millis(500) && elapsed < Duration::from_secs(5),
        "stopped after {elapsed:?}"
    );
    // And through the common path, which also checks that the host is still healthy.
    run_hostile(&host, "loop", CallIo::default());
}

#[test]
fn sleeping_is_stopped_at_the_timeout_and_short_sleeps_work() {
    let host = support::host();
    let plugin = support::hostile(&host, "sleep");
    let started = std::time::Instant::now();
    let err = plugin
        .invoke(&Message::Cli(CliInput::default()), CallIo::default())
        .expect_err("stopped");
    let elapsed = started.elapsed();
    assert_eq!(
        err.failure(),
        Some(&Failure::Timeout { limit_ms: 500 }),
        "{err}"
    );
    assert!(
        elapsed >= Duration::from_millis(500) && elapsed < Duration::from_secs(5),
        "stopped after {elapsed:?}"
    );
    run_hostile(&host, "sleep", CallIo::default());

    // WASI clocks themselves work: a 20 ms nap completes and sees the time pass.
    let nap = support::hostile(&host, "nap");
    let raw = nap
        .call_raw(b"{}", CallIo::default())
        .expect("a short sleep completes");
    assert_eq!(String::from_utf8_lossy(&raw.output), "slept true");
}

#[test]
fn allocation_past_the_limit_is_stopped() {
    let host = support::host();
    let err = run_hostile(&host, "alloc", CallIo::default());
    assert_eq!(
        err.failure(),
        Some(&Failure::OutOfMemory { limit_pages: 256 }),
        "{err}"
    );
    assert!(
        err.to_string()
            .ends_with("out of memory (limit 256 pages = 16 MiB)"),
        "{err}"
    );
}

#[test]
fn etc_passwd_is_not_readable() {
    let host = support::host();
    let err = run_hostile(&host, "passwd", CallIo::default());
    let message = reported(&err);
    assert!(message.starts_with("read /etc/passwd: "), "{message}");
    assert!(!message.contains("root:"), "{message}");
}

#[test]
fn home_is_not_readable() {
    let host = support::host();
    let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
    let io = CallIo {
        env: vec![("HOME".into(), home)],
        ..CallIo::default()
    };
    let err = run_hostile(&host, "home", io);
    // HOME is withheld, so the plugin falls back to /root, which it cannot list either.
    let message = reported(&err);
    assert!(message.starts_with("list /root: "), "{message}");
}

#[test]
fn host_outside_allowed_hosts_is_denied() {
    let host = support::host();
    let err = run_hostile(&host, "network", CallIo::default());
    assert_eq!(
        err.failure(),
        Some(&Failure::NetworkDenied {
            host: "forbidden.example.invalid".into()
        }),
        "{err}"
    );
}

#[test]
fn secret_environment_variable_is_not_visible() {
    let host = support::host();
    let io = CallIo {
        env: vec![
            ("RUDDER_TEST_TOKEN".into(), "s3cret".into()),
            ("RUDDER_NAMESPACE".into(), "default".into()),
        ],
        ..CallIo::default()
    };
    let err = run_hostile(&host, "token", io);
    let message = reported(&err);
    assert!(message.starts_with("RUDDER_TEST_TOKEN: "), "{message}");
    assert!(!message.contains("s3cret"), "{message}");
}

#[test]
fn writing_outside_tmp_is_denied() {
    let host = support::host();
    let err = run_hostile(&host, "write-outside", CallIo::default());
    // The write into the private /tmp succeeded (otherwise the message would name it); the
    // escape through `..` is refused.
    let message = reported(&err);
    assert!(
        message.starts_with("write /tmp/../escape.txt: "),
        "{message}"
    );
}

#[test]
fn nonzero_return_code_is_an_error() {
    let host = support::host();
    let err = run_hostile(&host, "exit-code", CallIo::default());
    assert_eq!(
        err.failure(),
        Some(&Failure::Reported {
            code: 7,
            message: String::new()
        }),
        "{err}"
    );
}

#[test]
fn host_functions_are_refused_at_load() {
    let host = support::host();
    let dir = support::plugin_dir(&support::repo_root().join("plugins/hello"), "hello.wasm");
    let manifest = std::fs::read_to_string(dir.path().join("plugin.yaml")).expect("manifest");
    std::fs::write(
        dir.path().join("plugin.yaml"),
        manifest + "  hostFunctions: [kube_get]\n",
    )
    .expect("write manifest");
    let err = host
        .load_dir(dir.path())
        .expect_err("host functions are not provided");
    assert_eq!(
        err.to_string(),
        "plugin \"hello\": plugin requested host function \"kube_get\" not found"
    );
}

/// Serves `responses` on 127.0.0.1, one connection each; returns the port and the requests.
fn serve(responses: Vec<String>) -> (u16, std::thread::JoinHandle<Vec<String>>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let handle = std::thread::spawn(move || {
        let mut requests = Vec::new();
        for response in responses {
            let (mut stream, _) = listener.accept().expect("accept");
            let mut request = Vec::new();
            let mut buf = [0u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = stream.read(&mut buf).expect("read");
                if n == 0 {
                    break;
                }
                request.extend_from_slice(&buf[..n]);
            }
            requests.push(String::from_utf8_lossy(&request).into_owned());
            stream.write_all(response.as_bytes()).expect("write");
        }
        requests
    });
    (port, handle)
}

fn fetch_plugin(
    host: &PluginHost,
    port: u16,
    extra: &str,
) -> (tempfile::TempDir, rudder_plugin::WasmPlugin) {
    let dir = support::plugin_dir(
        &support::repo_root().join("testdata/plugins/fetch"),
        "hostile.wasm",
    );
    let path = dir.path().join("plugin.yaml");
    let manifest = std::fs::read_to_string(&path).expect("manifest");
    std::fs::write(&path, manifest.replace("PORT", &port.to_string()) + extra).expect("manifest");
    let plugin = host.load_dir(dir.path()).expect("load fetch plugin");
    (dir, plugin)
}

#[test]
fn allowed_host_is_reachable_with_config_and_vars() {
    let host = support::host();
    let body = "chart-bytes";
    let (port, server) = serve(vec![format!(
        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nX-Test: yes\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )]);
    let (_dir, plugin) = fetch_plugin(&host, port, "");
    let out = plugin
        .call_raw(b"", CallIo::default())
        .expect("allowed fetch");
    assert_eq!(
        String::from_utf8_lossy(&out.output),
        "200 yes true chart-bytes"
    );
    let requests = server.join().expect("server");
    assert!(
        requests[0].starts_with("GET /chart HTTP/1.1\r\n"),
        "{}",
        requests[0]
    );
    assert!(
        requests[0].to_ascii_lowercase().contains("x-from: plugin"),
        "{}",
        requests[0]
    );
}

#[test]
fn redirects_and_oversized_responses_are_refused() {
    let host = support::host();
    let (port, server) = serve(vec![
        "HTTP/1.1 302 Found\r\nLocation: http://forbidden.example.invalid/\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_string(),
        format!("HTTP/1.1 200 OK\r\nContent-Length: 2048\r\nConnection: close\r\n\r\n{}", "x".repeat(2048)),
    ]);
    let (_dir, plugin) = fetch_plugin(&host, port, "");
    // The redirect is handed to the plugin as a 302, not followed.
    let out = plugin
        .call_raw(b"", CallIo::default())
        .expect("redirect response");
    assert_eq!(String::from_utf8_lossy(&out.output), "302 - true ");
    // maxHttpResponseBytes is 1024.
    let err = plugin
        .call_raw(b"", CallIo::default())
        .expect_err("too large");
    match err.failure() {
        Some(Failure::Trap(m)) => assert!(m.contains("limit 1024 bytes"), "{m}"),
        other => panic!("unexpected {other:?}: {err}"),
    }
    server.join().expect("server");
}

#[test]
fn input_larger_than_the_memory_limit_is_refused() {
    let host = support::host();
    let hello = support::example(&host, "hello");
    // hello allows 256 pages (16 MiB) for its memory and the kernel arena together.
    let input = vec![b' '; 17 << 20];
    let err = hello
        .call_raw(&input, CallIo::default())
        .expect_err("too large");
    assert_eq!(
        err.failure(),
        Some(&Failure::OutOfMemory { limit_pages: 256 }),
        "{err}"
    );
}

#[test]
fn timeout_still_applies_after_the_host_is_dropped() {
    let host = support::host();
    let plugin = support::hostile(&host, "loop");
    drop(host);
    let err = plugin
        .invoke(&Message::Cli(CliInput::default()), CallIo::default())
        .expect_err("stopped");
    assert_eq!(
        err.failure(),
        Some(&Failure::Timeout { limit_ms: 500 }),
        "{err}"
    );
}
