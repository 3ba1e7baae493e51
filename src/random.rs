//! The randomness seam: every id, code, secret and token id the server draws comes through a
//! [`Randomness`], as every instant comes through a [`Clock`](crate::clock::Clock).
//!
//! [`SystemRandom`] (the default) is the operating system's CSPRNG through the crypto backend, drawn
//! in blocks per thread.
//! [`SeededRandom`] is a deterministic stream for tests: with a manual clock and fixed keys, two
//! runs of the same test mint byte-identical tokens.
//!
//! The AES-GCM nonces that seal private keys at rest never come from here: a repeated nonce would
//! break the encryption, so sealing always uses the operating system's source.

use std::fmt;
use std::sync::{Mutex, PoisonError};

use crate::crypto::{self, CryptoError};

/// A source of random bytes.
pub trait Randomness: Send + Sync {
    /// Fills `out` with random bytes.
    ///
    /// # Errors
    /// [`CryptoError::Random`] when the source fails.
    fn fill(&self, out: &mut [u8]) -> Result<(), CryptoError>;
}

impl dyn Randomness + '_ {
    /// `N` random bytes.
    ///
    /// # Errors
    /// [`CryptoError::Random`] when the source fails.
    pub fn array<const N: usize>(&self) -> Result<[u8; N], CryptoError> {
        let mut out = [0u8; N];
        self.fill(&mut out)?;
        Ok(out)
    }
}

/// The operating system's CSPRNG, through the crypto backend (ring or aws-lc-rs), drawn in
/// blocks.
///
/// A token request needs about five small random values (ids, token ids, event ids), and each
/// call to the backend costs about a microsecond whatever its length (aws-lc-rs mixes in the
/// CPU's generator on every call). So each thread draws [`SYSTEM_BLOCK`] bytes at a time and
/// hands them out in order, wiping each byte as it leaves the block. A forked child discards its
/// parent's block before drawing, so the two never share bytes: the fork is noticed through a
/// `pthread_atfork` handler's counter (the `forkguard` crate), an atomic load per draw where
/// asking the process id cost a system call (about 0.1 µs here, three per token request).
/// `fork()` runs the handler; a child made without it (`_Fork`, a raw `clone`, `vfork`) may only
/// call async-signal-safe functions until it execs, which drawing from here is not, so it must
/// not draw. A thread's block is wiped when the thread ends. Requests longer than a quarter block
/// go to the backend directly, and so does every request on a system that refused the handler.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemRandom;

/// How many bytes [`SystemRandom`] draws from the backend at a time, per thread.
pub const SYSTEM_BLOCK: usize = 512;

impl Randomness for SystemRandom {
    fn fill(&self, out: &mut [u8]) -> Result<(), CryptoError> {
        if out.len() > SYSTEM_BLOCK / 4 {
            return crypto::fill_random(out);
        }
        BLOCK
            .try_with(|block| block.borrow_mut().fill(out))
            .unwrap_or_else(|_| crypto::fill_random(out))
    }
}

thread_local! {
    static BLOCK: std::cell::RefCell<Block> = const { std::cell::RefCell::new(Block::EMPTY) };
}

/// One thread's block of system randomness: the bytes not handed out yet, and the guard that
/// tells whether the process forked since they were drawn.
struct Block {
    bytes: [u8; SYSTEM_BLOCK],
    used: usize,
    /// Set when the block is drawn; `None` before the first draw.
    drawn_in: Option<forkguard::Guard>,
}

impl Block {
    const EMPTY: Self = Self {
        bytes: [0; SYSTEM_BLOCK],
        used: SYSTEM_BLOCK,
        drawn_in: None,
    };

    /// Fills `out` (at most a block), drawing a new block when this one is short or the process
    /// forked since it was drawn (this is the child).
    fn fill(&mut self, out: &mut [u8]) -> Result<(), CryptoError> {
        let forked = self.drawn_in.as_mut().is_none_or(forkguard::Guard::detected_fork);
        self.hand_out(forked, out)
    }

    /// Fills `out` from the block, drawing a new one first when `stale` (drawn before a fork, or
    /// never) or short. Without a fork guard the bytes come from the backend, the block left spent.
    fn hand_out(&mut self, stale: bool, out: &mut [u8]) -> Result<(), CryptoError> {
        if stale || SYSTEM_BLOCK - self.used < out.len() {
            // Handed-out bytes are already wiped: wipe the rest, and mark the block spent first,
            // so that whatever fails below, none of it is handed out or left behind.
            let unused = self.used.min(SYSTEM_BLOCK);
            zeroize::Zeroize::zeroize(&mut self.bytes[unused..]);
            self.used = SYSTEM_BLOCK;
            let Some(guard) = forkguard::Guard::try_new().ok() else {
                return crypto::fill_random(out);
            };
            crypto::fill_random(&mut self.bytes)?;
            (self.used, self.drawn_in) = (0, Some(guard));
        }
        let part = self
            .bytes
            .get_mut(self.used..self.used + out.len())
            .ok_or(CryptoError::Random)?;
        out.copy_from_slice(part);
        zeroize::Zeroize::zeroize(part);
        self.used += out.len();
        Ok(())
    }
}

impl Drop for Block {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.bytes);
    }
}

/// Random bytes drawn from a source in one call and handed out in order: a value that needs
/// several random parts costs one call to the source (one system call for [`SystemRandom`]), and
/// a [`SeededRandom`] yields exactly the bytes that drawing each part in turn would. The bytes are
/// wiped when dropped.
pub(crate) struct Drawn<const N: usize> {
    bytes: Mutex<([u8; N], usize)>,
}

impl<const N: usize> Drawn<N> {
    /// `N` bytes from `random`.
    pub(crate) fn from(random: &dyn Randomness) -> Result<Self, CryptoError> {
        let mut bytes = [0u8; N];
        random.fill(&mut bytes)?;
        Ok(Self {
            bytes: Mutex::new((bytes, 0)),
        })
    }
}

impl<const N: usize> Randomness for Drawn<N> {
    /// The next `out.len()` bytes; [`CryptoError::Random`] once fewer are left.
    fn fill(&self, out: &mut [u8]) -> Result<(), CryptoError> {
        let mut guard = self.bytes.lock().unwrap_or_else(PoisonError::into_inner);
        let (bytes, used) = &mut *guard;
        let rest = bytes.get(*used..*used + out.len()).ok_or(CryptoError::Random)?;
        out.copy_from_slice(rest);
        *used += out.len();
        Ok(())
    }
}

impl<const N: usize> Drop for Drawn<N> {
    fn drop(&mut self) {
        let mut guard = self.bytes.lock().unwrap_or_else(PoisonError::into_inner);
        zeroize::Zeroize::zeroize(&mut guard.0);
    }
}

/// A deterministic stream for tests: SHA-256 of the seed and a block counter, 32 bytes per block.
///
/// The same seed gives the same bytes in the same order, so a test that draws in the same order
/// gets the same ids. It is predictable by design: never use it to serve real clients.
///
/// ```
/// use authserver::random::{Randomness, SeededRandom};
///
/// let (a, b) = (SeededRandom::new(7), SeededRandom::new(7));
/// let (mut x, mut y) = ([0u8; 40], [0u8; 40]);
/// a.fill(&mut x).unwrap();
/// b.fill(&mut y).unwrap();
/// assert_eq!(x, y);
/// ```
pub struct SeededRandom {
    seed: u64,
    state: Mutex<Stream>,
}

/// Where the stream stands: the next block's number and what is left of the current block.
struct Stream {
    counter: u64,
    block: [u8; 32],
    used: usize,
}

impl SeededRandom {
    /// A stream determined by `seed`.
    pub fn new(seed: u64) -> Self {
        Self {
            seed,
            state: Mutex::new(Stream {
                counter: 0,
                block: [0; 32],
                used: 32,
            }),
        }
    }
}

impl fmt::Debug for SeededRandom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SeededRandom")
            .field("seed", &self.seed)
            .finish_non_exhaustive()
    }
}

impl Randomness for SeededRandom {
    fn fill(&self, out: &mut [u8]) -> Result<(), CryptoError> {
        let mut stream = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        for byte in out {
            if stream.used == stream.block.len() {
                let mut input = [0u8; 16];
                input[..8].copy_from_slice(&self.seed.to_be_bytes());
                input[8..].copy_from_slice(&stream.counter.to_be_bytes());
                stream.block = crypto::sha256(&input);
                stream.counter = stream.counter.wrapping_add(1);
                stream.used = 0;
            }
            *byte = stream.block[stream.used];
            stream.used += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Small draws come from the thread's block across its refills, never repeat, and long ones
    /// go to the backend.
    #[test]
    fn system_randomness_never_repeats_across_blocks() {
        let random: &dyn Randomness = &SystemRandom;
        let mut seen = std::collections::HashSet::new();
        for _ in 0..4 * SYSTEM_BLOCK / 16 {
            assert!(seen.insert(random.array::<16>().unwrap()), "a 16-byte draw repeated");
        }
        let (a, b) = (random.array::<1024>().unwrap(), random.array::<1024>().unwrap());
        assert_ne!(a, b);
    }

    /// What a block hands out is wiped from it; a block drawn before a fork is replaced in the
    /// child, not continued (tests/fork.rs forks for real).
    #[test]
    fn a_block_wipes_what_it_hands_out_and_is_not_shared_with_a_forked_child() {
        let mut block = Block::EMPTY;
        let mut first = [0u8; 16];
        block.fill(&mut first).unwrap();
        assert_ne!(first, [0; 16]);
        assert!(block.drawn_in.is_some(), "the first draw sets the guard");
        assert!(
            block.bytes[..16].iter().all(|&byte| byte == 0),
            "handed-out bytes are wiped"
        );
        let mut next = [0u8; 16];
        let parents_next: [u8; 16] = block.bytes[16..32].try_into().unwrap();
        block.fill(&mut next).unwrap();
        assert_eq!(next, parents_next, "no fork: the block goes on");
        let parents_next: [u8; 16] = block.bytes[32..48].try_into().unwrap();
        let mut childs = [0u8; 16];
        block.hand_out(true, &mut childs).unwrap();
        assert_ne!(childs, parents_next, "the child drew its own block");
        assert_eq!(block.used, 16);
    }

    #[test]
    fn seeded_streams_repeat_and_differ_by_seed() {
        let draw = |seed| {
            let source = SeededRandom::new(seed);
            let random: &dyn Randomness = &source;
            (random.array::<5>().unwrap(), random.array::<50>().unwrap())
        };
        assert_eq!(draw(1), draw(1));
        assert_ne!(draw(1), draw(2));
        let (first, second) = draw(1);
        assert_ne!(first[..], second[..5], "the stream moves on");
    }

    #[test]
    fn chunking_does_not_change_the_stream() {
        let whole = SeededRandom::new(3);
        let mut all = [0u8; 70];
        whole.fill(&mut all).unwrap();
        let pieces = SeededRandom::new(3);
        let mut joined = Vec::new();
        for len in [1, 31, 2, 36] {
            let mut part = vec![0u8; len];
            pieces.fill(&mut part).unwrap();
            joined.extend(part);
        }
        assert_eq!(all[..], joined[..]);
    }

    #[test]
    fn drawn_bytes_are_the_sources_in_order_and_run_out() {
        let drawn = Drawn::<40>::from(&SeededRandom::new(9)).unwrap();
        let mut parts = [[0u8; 16]; 2];
        for part in &mut parts {
            drawn.fill(part).unwrap();
        }
        let direct = SeededRandom::new(9);
        let mut expected = [0u8; 32];
        direct.fill(&mut expected).unwrap();
        assert_eq!(parts.concat(), expected);
        assert!(drawn.fill(&mut [0u8; 16]).is_err(), "only 8 bytes are left");
    }

    #[test]
    fn system_random_is_not_constant() {
        let random: &dyn Randomness = &SystemRandom;
        assert_ne!(random.array::<16>().unwrap(), random.array::<16>().unwrap());
    }
}
