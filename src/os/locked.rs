//! Memory for plaintext that stays out of swap and core dumps: whole pages of their own,
//! mapped for one buffer, locked with `mlock` and marked `MADV_DONTDUMP` (Linux). With the
//! acl and handles modules of Windows, the only `unsafe` code of the program: the memory
//! calls have no safe binding. Everything here is wiped before it is unlocked and unmapped.
//!
//! Locking is best effort and per buffer: a buffer the memlock limit has no room for (a user's
//! usual 8 MiB) is used unlocked, and still wiped. Windows has no locking here: its buffers are
//! ordinary heap memory, wiped on drop.
#![allow(unsafe_code)]

use zeroize::Zeroize;

/// Whole pages holding nothing but one buffer's bytes; wiped, unlocked and unmapped on drop.
pub struct Pages {
    imp: imp::Pages,
}

impl Pages {
    /// At least `len` bytes (zeroed), rounded up to whole pages; locked when the limit allows.
    /// An empty request maps nothing.
    pub fn new(len: usize) -> Self {
        Pages {
            imp: imp::Pages::new(len),
        }
    }

    /// Usable bytes: the request rounded up to whole pages.
    pub fn capacity(&self) -> usize {
        self.as_slice().len()
    }

    /// Whether these pages are locked in memory (kept out of swap).
    pub fn is_locked(&self) -> bool {
        self.imp.locked
    }

    pub fn as_slice(&self) -> &[u8] {
        self.imp.as_slice()
    }

    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        self.imp.as_mut_slice()
    }
}

impl Drop for Pages {
    fn drop(&mut self) {
        self.as_mut_slice().zeroize();
    }
}

#[cfg(unix)]
mod imp {
    use std::ffi::c_void;
    use std::ptr::NonNull;

    use rustix::mm::{MapFlags, ProtFlags, mlock, mmap_anonymous, munmap};

    pub struct Pages {
        ptr: NonNull<u8>,
        len: usize,
        pub locked: bool,
    }

    // The mapping is owned by this value alone, like a Box<[u8]>.
    unsafe impl Send for Pages {}
    unsafe impl Sync for Pages {}

    fn page_size() -> usize {
        rustix::param::page_size()
    }

    impl Pages {
        pub fn new(len: usize) -> Self {
            if len == 0 {
                return Pages {
                    ptr: NonNull::dangling(),
                    len: 0,
                    locked: false,
                };
            }
            let page = page_size();
            let len = len.div_ceil(page) * page;
            // SAFETY: a new private anonymous mapping; nothing else refers to it.
            let ptr = unsafe {
                mmap_anonymous(
                    std::ptr::null_mut(),
                    len,
                    ProtFlags::READ | ProtFlags::WRITE,
                    MapFlags::PRIVATE,
                )
            }
            .ok()
            .and_then(|ptr| NonNull::new(ptr.cast::<u8>()));
            let Some(ptr) = ptr else {
                // Out of address space: as the allocator does.
                std::alloc::handle_alloc_error(
                    std::alloc::Layout::from_size_align(len, page).expect("a page-sized layout"),
                );
            };
            // SAFETY: the range is the mapping just made.
            let locked = unsafe { mlock(ptr.as_ptr().cast::<c_void>(), len) }.is_ok();
            #[cfg(any(target_os = "linux", target_os = "android"))]
            {
                use rustix::mm::{Advice, madvise};
                // SAFETY: the range is the mapping just made; the advice changes no content.
                unsafe { madvise(ptr.as_ptr().cast::<c_void>(), len, Advice::LinuxDontDump) }.ok();
            }
            Pages { ptr, len, locked }
        }

        pub fn as_slice(&self) -> &[u8] {
            // SAFETY: `len` bytes from `ptr` are mapped readable (or `len` is 0 and the
            // pointer dangling, as for an empty slice) and owned by `self`.
            unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
        }

        pub fn as_mut_slice(&mut self) -> &mut [u8] {
            // SAFETY: as above, mapped writable, and `&mut self` makes the borrow unique.
            unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
        }
    }

    impl Drop for Pages {
        // Runs after the outer Drop has wiped the bytes.
        fn drop(&mut self) {
            if self.len == 0 {
                return;
            }
            let ptr = self.ptr.as_ptr().cast::<c_void>();
            // SAFETY: the mapping is ours and nothing borrows it any more. Unmapping unlocks
            // locked pages too, in the same walk of them: no munlock first.
            unsafe {
                munmap(ptr, self.len).ok();
            }
        }
    }
}

#[cfg(not(unix))]
mod imp {
    pub struct Pages {
        bytes: Box<[u8]>,
        pub locked: bool,
    }

    impl Pages {
        pub fn new(len: usize) -> Self {
            Pages {
                bytes: vec![0; len].into_boxed_slice(),
                locked: false,
            }
        }

        pub fn as_slice(&self) -> &[u8] {
            &self.bytes
        }

        pub fn as_mut_slice(&mut self) -> &mut [u8] {
            &mut self.bytes
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_whole_zeroed_and_writable() {
        let mut pages = Pages::new(10);
        assert!(pages.capacity() >= 10);
        assert!(pages.as_slice().iter().all(|&b| b == 0));
        pages.as_mut_slice()[..3].copy_from_slice(b"abc");
        assert_eq!(&pages.as_slice()[..3], b"abc");
        assert_eq!(Pages::new(0).capacity(), 0);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn small_buffers_are_locked_under_a_users_limit() {
        // 64 KiB fits the smallest memlock limit in use (Debian's 8 MiB, older 64 KiB).
        assert!(Pages::new(16 * 1024).is_locked());
    }
}
