//! Keeps this process's standard handles out of the helpers it starts. Windows hands every
//! inheritable handle to a child, so a detached helper would hold the caller's pipes open:
//! `$(vault copy …)` in a script would wait for the clipboard to be cleared.
#![allow(unsafe_code)]

use std::os::windows::io::AsRawHandle;

use windows_sys::Win32::Foundation::{HANDLE, HANDLE_FLAG_INHERIT, SetHandleInformation};

pub fn stop_inheriting_std_handles() {
    let handles = [
        std::io::stdin().as_raw_handle(),
        std::io::stdout().as_raw_handle(),
        std::io::stderr().as_raw_handle(),
    ];
    for handle in handles {
        if !handle.is_null() {
            // Best effort: a handle that cannot be changed (none, or a console) stays as it is.
            unsafe { SetHandleInformation(handle as HANDLE, HANDLE_FLAG_INHERIT, 0) };
        }
    }
}
