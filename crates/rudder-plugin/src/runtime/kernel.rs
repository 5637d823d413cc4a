//! The Extism kernel memory, implemented natively in the host.
//!
//! Extism's reference kernel is a separate Wasm module with its own linear memory; guests only
//! ever reach it through the `extism:host/env` functions (`alloc`, `load_u64`, `store_u8`…), so
//! an arena in the host behaves identically for them. The contract kept here:
//!
//! - a *handle* is the byte address of a block's data; handles are ≥ 1, so 0 means "none";
//!   byte `i` of a block is at `handle + i` (PDKs rely on this for chunked copies);
//! - `length(h)` is the requested size of the active block starting at `h`, 0 otherwise;
//! - `alloc(0)` returns 0; an allocation over budget returns 0;
//! - loads outside the arena read 0 and stores outside it are ignored (Extism's
//!   `bounds-checking` behaviour);
//! - freed blocks are reused first-fit.
//!
//! The arena counts towards the plugin's memory budget together with its linear memory. Each
//! block also reserves [`BLOCK_HEADER`] bytes of the arena (as the reference kernel's block
//! header does), so a plugin cannot make the host keep unbounded bookkeeping with many tiny
//! allocations.

use std::collections::{BTreeMap, BTreeSet};

/// Arena bytes reserved in front of every block.
pub(crate) const BLOCK_HEADER: u64 = 16;

#[derive(Debug, Clone, Copy)]
struct Block {
    capacity: u64,
    length: u64,
    active: bool,
}

/// The kernel arena of one call.
#[derive(Debug)]
pub(crate) struct Kernel {
    mem: Vec<u8>,
    blocks: BTreeMap<u64, Block>,
    /// Starts of inactive blocks, for reuse.
    free: BTreeSet<u64>,
    input: (u64, u64),
    output: (u64, u64),
    error: u64,
}

impl Kernel {
    pub(crate) fn new() -> Self {
        Kernel {
            // Address 0 is reserved so that no handle is 0.
            mem: vec![0],
            blocks: BTreeMap::new(),
            free: BTreeSet::new(),
            input: (0, 0),
            output: (0, 0),
            error: 0,
        }
    }

    /// Bytes currently held by the arena.
    pub(crate) fn size(&self) -> u64 {
        self.mem.len() as u64
    }

    /// Allocates `n` zeroed bytes, or returns 0 if `n` is 0 or `room` (bytes the budget still
    /// allows the arena to grow by) is too small.
    pub(crate) fn alloc(&mut self, n: u64, room: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        let blocks = &self.blocks;
        let reuse = self
            .free
            .iter()
            .copied()
            .find(|at| blocks.get(at).is_some_and(|b| b.capacity >= n));
        if let Some(at) = reuse {
            self.free.remove(&at);
            if let Some(b) = self.blocks.get_mut(&at) {
                b.active = true;
                b.length = n;
                let (start, end) = (at as usize, (at + b.capacity) as usize);
                self.mem[start..end].fill(0);
            }
            return at;
        }
        let Some(needed) = n.checked_add(BLOCK_HEADER) else {
            return 0;
        };
        if needed > room {
            return 0;
        }
        let Ok(needed) = usize::try_from(needed) else {
            return 0;
        };
        let at = (self.mem.len() as u64) + BLOCK_HEADER;
        self.mem.resize(self.mem.len() + needed, 0);
        self.blocks.insert(
            at,
            Block {
                capacity: n,
                length: n,
                active: true,
            },
        );
        at
    }

    /// Allocates a block holding `data`; 0 if the budget does not allow it (or data is empty).
    pub(crate) fn alloc_bytes(&mut self, data: &[u8], room: u64) -> u64 {
        let h = self.alloc(data.len() as u64, room);
        if h != 0 {
            let start = h as usize;
            self.mem[start..start + data.len()].copy_from_slice(data);
        }
        h
    }

    pub(crate) fn free(&mut self, h: u64) {
        if let Some(b) = self.blocks.get_mut(&h)
            && b.active
        {
            b.active = false;
            self.free.insert(h);
        }
    }

    pub(crate) fn length(&self, h: u64) -> u64 {
        match self.blocks.get(&h) {
            Some(b) if b.active => b.length,
            _ => 0,
        }
    }

    /// The bytes of the active block at `h` (empty if there is none).
    pub(crate) fn block(&self, h: u64) -> &[u8] {
        self.range(h, self.length(h))
    }

    /// Reads a block and frees it (host functions own the handles passed to them).
    pub(crate) fn take(&mut self, h: u64) -> Vec<u8> {
        let bytes = self.block(h).to_vec();
        self.free(h);
        bytes
    }

    /// `len` bytes at `offset`, clamped to the arena.
    pub(crate) fn range(&self, offset: u64, len: u64) -> &[u8] {
        let size = self.mem.len() as u64;
        let start = offset.min(size);
        let end = offset.saturating_add(len).min(size);
        &self.mem[start as usize..end as usize]
    }

    pub(crate) fn load_u8(&self, p: u64) -> u8 {
        usize::try_from(p)
            .ok()
            .and_then(|p| self.mem.get(p))
            .copied()
            .unwrap_or(0)
    }

    pub(crate) fn load_u64(&self, p: u64) -> u64 {
        let bytes = self.range(p, 8);
        match <[u8; 8]>::try_from(bytes) {
            Ok(b) => u64::from_le_bytes(b),
            Err(_) => 0,
        }
    }

    pub(crate) fn store_u8(&mut self, p: u64, v: u8) {
        if p == 0 {
            return;
        }
        if let Some(slot) = usize::try_from(p).ok().and_then(|p| self.mem.get_mut(p)) {
            *slot = v;
        }
    }

    pub(crate) fn store_u64(&mut self, p: u64, v: u64) {
        let size = self.mem.len() as u64;
        if p == 0 || p.checked_add(8).is_none_or(|end| end > size) {
            return;
        }
        let start = p as usize;
        self.mem[start..start + 8].copy_from_slice(&v.to_le_bytes());
    }

    pub(crate) fn set_input(&mut self, h: u64, len: u64) {
        self.input = (h, len);
    }

    pub(crate) fn input_offset(&self) -> u64 {
        self.input.0
    }

    pub(crate) fn input_length(&self) -> u64 {
        self.input.1
    }

    pub(crate) fn input_load_u8(&self, off: u64) -> u8 {
        if off >= self.input.1 {
            return 0;
        }
        self.load_u8(self.input.0 + off)
    }

    pub(crate) fn input_load_u64(&self, off: u64) -> u64 {
        if off.checked_add(8).is_none_or(|end| end > self.input.1) {
            return 0;
        }
        self.load_u64(self.input.0 + off)
    }

    pub(crate) fn set_output(&mut self, h: u64, len: u64) {
        self.output = (h, len);
    }

    pub(crate) fn output(&self) -> (u64, u64) {
        self.output
    }

    pub(crate) fn output_bytes(&self) -> &[u8] {
        self.range(self.output.0, self.output.1)
    }

    pub(crate) fn set_error(&mut self, h: u64) {
        self.error = h;
    }

    pub(crate) fn error(&self) -> u64 {
        self.error
    }

    /// Frees everything (Extism `reset`).
    pub(crate) fn reset(&mut self) {
        *self = Kernel::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_are_linear_and_nonzero() {
        let mut k = Kernel::new();
        assert_eq!(k.alloc(0, 100), 0);
        let a = k.alloc(10, 100);
        assert!(a >= 1);
        for i in 0..10 {
            k.store_u8(a + i, i as u8);
        }
        assert_eq!(k.length(a), 10);
        assert_eq!(k.block(a), &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        assert_eq!(k.load_u64(a), u64::from_le_bytes([0, 1, 2, 3, 4, 5, 6, 7]));
        assert_eq!(k.length(a + 1), 0, "not a block start");
    }

    #[test]
    fn free_reuses_and_budget_refuses() {
        let mut k = Kernel::new();
        let a = k.alloc_bytes(b"hello", 100);
        k.free(a);
        assert_eq!(k.length(a), 0);
        let b = k.alloc(3, 0);
        assert_eq!(a, b, "first-fit reuse needs no new room");
        assert_eq!(k.block(b), &[0, 0, 0], "reused blocks are zeroed");
        assert_eq!(k.alloc(1000, 1000), 0, "the block header needs room too");
        assert_ne!(k.alloc(1000, 1000 + BLOCK_HEADER), 0);
    }

    #[test]
    fn out_of_bounds_is_harmless() {
        let mut k = Kernel::new();
        k.store_u64(u64::MAX - 3, 1);
        k.store_u8(1 << 40, 1);
        assert_eq!(k.load_u64(u64::MAX), 0);
        let h = k.alloc_bytes(b"abcdefgh", 100);
        k.set_input(h, 8);
        assert_eq!(k.input_load_u64(1), 0);
        assert_eq!(k.input_load_u8(7), b'h');
        assert_eq!(k.input_load_u8(8), 0);
    }
}
