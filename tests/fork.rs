//! A forked child never hands out the bytes its parent hands out: `SystemRandom` keeps a block of
//! random bytes per thread, and the child's copy of the block must be dropped, not continued.
//!
//! Alone in its binary: the test forks, and a child of a process whose other threads might hold
//! a lock should do little; here the only other thread is the harness's, waiting.
#![cfg(unix)]

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;

use authserver::random::{Randomness, SystemRandom};

/// The parent and the child each draw 16 bytes right after the fork. Had the child gone on with
/// the copy of the block, both would take the same next 16 bytes.
#[test]
fn a_forked_child_draws_other_bytes_than_its_parent() {
    let random: &dyn Randomness = &SystemRandom;
    // The thread's block is drawn, with bytes left over, before the fork.
    random.array::<16>().expect("draws");
    let (mut parent_end, mut child_end) = UnixStream::pair().expect("socket pair");

    // SAFETY: the child only draws, writes to a socket created before the fork and exits with
    // `_exit`, running no destructor or atexit handler of the parent's.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let code = match random.array::<16>() {
            Ok(bytes) if child_end.write_all(&bytes).is_ok() => 0,
            _ => 1,
        };
        // SAFETY: ends the child at once, as above.
        unsafe { libc::_exit(code) };
    }
    drop(child_end);
    let parents = random.array::<16>().expect("draws");
    let mut childs = [0u8; 16];
    parent_end.read_exact(&mut childs).expect("the child's bytes");
    let mut status = 0;
    // SAFETY: waits for the child forked above.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "the child failed"
    );
    assert_ne!(parents, childs, "the child went on with its parent's block");
}
