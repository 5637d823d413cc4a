//! WASI `poll_oneoff`, held to the call's deadline.
//!
//! The epoch interrupts guest code, not host code: with wasmtime-wasi's own `poll_oneoff` a
//! plugin that sleeps waits inside the host, where no epoch check runs, so a one-hour sleep
//! would hold Rudder for an hour. Rudder therefore provides `poll_oneoff` itself (shadowing
//! wasmtime-wasi's in the linker), with these rules:
//!
//! * Descriptor subscriptions (`fd_read`, `fd_write`) are reported ready at once, with
//!   `nbytes` 1. The sandbox's descriptors are stdio pipes held in memory and files in the
//!   private `/tmp`, which are always ready; an inherited interactive stdin then blocks in
//!   `fd_read`, as a terminal read does.
//! * Otherwise the call sleeps until the earliest clock subscription is due, but never past
//!   the call's deadline; reaching the deadline raises the same interrupt trap the epoch
//!   raises, so the caller reports the plugin's timeout. Relative timeouts are what the Rust
//!   and Go standard libraries use; an absolute `realtime` timeout is converted with the
//!   system clock, and an absolute `monotonic` one (whose origin is wasmtime-wasi's) is
//!   treated as due now, so a guest waiting on one spins in guest code, where the epoch
//!   stops it at the deadline.
//! * The clock events written are those of every clock subscription due by the time the
//!   sleep ends; `nsubscriptions == 0` is `EINVAL` and a subscription or event array outside
//!   the guest's memory is `EFAULT`, as in wasmtime-wasi.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use wasmtime::{Caller, Extern, Linker, Trap};

use super::extism::State;

const WASI_MODULE: &str = "wasi_snapshot_preview1";
const POLL_ONEOFF: &str = "poll_oneoff";

/// `sizeof(subscription)` and `sizeof(event)` in WASI preview 1.
const SUBSCRIPTION_SIZE: usize = 48;
const EVENT_SIZE: usize = 32;
/// `eventtype`.
const TAG_CLOCK: u8 = 0;
/// `clockid::realtime`, `subclockflags::subscription_clock_abstime`.
const CLOCK_REALTIME: u32 = 0;
const FLAG_ABSTIME: u16 = 1;
/// `errno` values.
const ERRNO_SUCCESS: i32 = 0;
const ERRNO_FAULT: i32 = 21;
const ERRNO_INVAL: i32 = 28;

/// Replaces WASI's `poll_oneoff` (already in `linker`) with the deadline-bound one.
pub(crate) fn add_to_linker(linker: &mut Linker<State>) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    linker.func_wrap(WASI_MODULE, POLL_ONEOFF, poll_oneoff)?;
    linker.allow_shadowing(false);
    Ok(())
}

/// One parsed subscription.
struct Subscription {
    userdata: [u8; 8],
    tag: u8,
    /// For a clock: how long from now until it is due.
    due_in: Duration,
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut raw = [0u8; 8];
    raw.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(raw)
}

fn parse(raw: &[u8]) -> Subscription {
    let mut userdata = [0u8; 8];
    userdata.copy_from_slice(&raw[..8]);
    let tag = raw[8];
    let mut due_in = Duration::ZERO;
    if tag == TAG_CLOCK {
        let id = u32_at(raw, 16);
        let timeout = u64_at(raw, 24);
        let absolute = u16_at(raw, 40) & FLAG_ABSTIME != 0;
        due_in = if !absolute {
            Duration::from_nanos(timeout)
        } else if id == CLOCK_REALTIME {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default();
            Duration::from_nanos(timeout).saturating_sub(now)
        } else {
            Duration::ZERO
        };
    }
    Subscription {
        userdata,
        tag,
        due_in,
    }
}

fn event(sub: &Subscription) -> [u8; EVENT_SIZE] {
    let mut e = [0u8; EVENT_SIZE];
    e[..8].copy_from_slice(&sub.userdata);
    // error (u16 at 8) stays 0 = success; type at 10.
    e[10] = sub.tag;
    if sub.tag != TAG_CLOCK {
        // fd_readwrite.nbytes at 16.
        e[16..24].copy_from_slice(&1u64.to_le_bytes());
    }
    e
}

fn poll_oneoff(
    mut caller: Caller<'_, State>,
    subscriptions: i32,
    events: i32,
    count: i32,
    returned: i32,
) -> wasmtime::Result<i32> {
    let count = count as u32 as usize;
    if count == 0 {
        return Ok(ERRNO_INVAL);
    }
    let Some(Extern::Memory(memory)) = caller.get_export("memory") else {
        return Err(wasmtime::Error::msg(
            "poll_oneoff: the module exports no memory",
        ));
    };
    let deadline = caller.data().deadline();
    let started = Instant::now();
    let subs: Vec<Subscription> = {
        let data = memory.data(&caller);
        let start = subscriptions as u32 as usize;
        let Some(raw) = data.get(start..start + count * SUBSCRIPTION_SIZE) else {
            return Ok(ERRNO_FAULT);
        };
        raw.chunks_exact(SUBSCRIPTION_SIZE).map(parse).collect()
    };
    let out_start = events as u32 as usize;
    let out_len = count * EVENT_SIZE;
    let returned_at = returned as u32 as usize;
    {
        let data = memory.data(&caller);
        if data.get(out_start..out_start + out_len).is_none()
            || data.get(returned_at..returned_at + 4).is_none()
        {
            return Ok(ERRNO_FAULT);
        }
    }

    let ready: Vec<&Subscription> = if subs.iter().any(|s| s.tag != TAG_CLOCK) {
        subs.iter().filter(|s| s.tag != TAG_CLOCK).collect()
    } else {
        let earliest = subs.iter().map(|s| s.due_in).min().unwrap_or_default();
        let left = deadline.saturating_duration_since(started);
        std::thread::sleep(earliest.min(left));
        if Instant::now() >= deadline {
            return Err(Trap::Interrupt.into());
        }
        let slept = started.elapsed().max(earliest);
        subs.iter().filter(|s| s.due_in <= slept).collect()
    };

    let data = memory.data_mut(&mut caller);
    for (i, sub) in ready.iter().enumerate() {
        let at = out_start + i * EVENT_SIZE;
        data[at..at + EVENT_SIZE].copy_from_slice(&event(sub));
    }
    data[returned_at..returned_at + 4].copy_from_slice(&(ready.len() as u32).to_le_bytes());
    Ok(ERRNO_SUCCESS)
}
