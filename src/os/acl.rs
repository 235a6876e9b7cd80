//! Windows access lists, the counterpart of Unix modes for key files: who may use a file, and
//! making a new file or directory private to the user who creates it.
//!
//! With `handles.rs`, the only `unsafe` code of the program: the Win32 security API has no safe
//! binding that is still maintained. Every pointer comes from the API itself or from a buffer
//! owned by the function that uses it, and every allocation the API makes is freed here.
#![allow(unsafe_code)]

use std::fs::File;
use std::io;
use std::os::windows::io::AsRawHandle;
use std::path::Path;

use windows_sys::Win32::Foundation::{CloseHandle, ERROR_SUCCESS, HANDLE, HLOCAL, LocalFree};
use windows_sys::Win32::Security::Authorization::{
    ConvertSidToStringSidW, GetSecurityInfo, SE_FILE_OBJECT, SetSecurityInfo,
};
use windows_sys::Win32::Security::{
    ACCESS_ALLOWED_ACE, ACCESS_ALLOWED_OBJECT_ACE, ACE_HEADER, ACE_INHERITED_OBJECT_TYPE_PRESENT,
    ACE_OBJECT_TYPE_PRESENT, ACL, ACL_REVISION, ACL_SIZE_INFORMATION, AclSizeInformation,
    AddAccessAllowedAceEx, CONTAINER_INHERIT_ACE, CreateWellKnownSid, DACL_SECURITY_INFORMATION,
    EqualSid, GetAce, GetAclInformation, GetLengthSid, GetTokenInformation, INHERIT_ONLY_ACE,
    InitializeAcl, OBJECT_INHERIT_ACE, OWNER_SECURITY_INFORMATION,
    PROTECTED_DACL_SECURITY_INFORMATION, PSECURITY_DESCRIPTOR, PSID, SECURITY_MAX_SID_SIZE,
    TOKEN_QUERY, TOKEN_USER, TokenUser, WinBuiltinAdministratorsSid, WinLocalSystemSid,
};
use windows_sys::Win32::Storage::FileSystem::FILE_ALL_ACCESS;
use windows_sys::Win32::System::SystemServices::{
    ACCESS_ALLOWED_ACE_TYPE, ACCESS_ALLOWED_CALLBACK_ACE_TYPE,
    ACCESS_ALLOWED_CALLBACK_OBJECT_ACE_TYPE, ACCESS_ALLOWED_OBJECT_ACE_TYPE,
    ACCESS_DENIED_ACE_TYPE, ACCESS_DENIED_CALLBACK_ACE_TYPE,
    ACCESS_DENIED_CALLBACK_OBJECT_ACE_TYPE, ACCESS_DENIED_OBJECT_ACE_TYPE,
};
use windows_sys::Win32::System::Threading::{GetCurrentProcess, OpenProcessToken};

/// Why a file's access list is refused.
pub enum Open {
    /// No access list at all: everyone has every right.
    NoDacl,
    /// These accounts (SID strings, or well-known names) are let in, with whatever rights.
    Granted(Vec<String>),
    /// Owned by an account other than the current user, SYSTEM or Administrators.
    OtherOwner,
}

/// Checks that the open `file` lets in no one but its owner, the current user, SYSTEM and
/// Administrators. Any right counts, not only reading: whoever may write the file, change its
/// access list (`WRITE_DAC`) or take it over (`WRITE_OWNER`) can read it tomorrow, or put
/// another key in its place. An entry whose kind or account cannot be read counts as open.
pub fn check_private(file: &File) -> io::Result<Result<(), Open>> {
    let user = current_user()?;
    let system = well_known(WinLocalSystemSid)?;
    let admins = well_known(WinBuiltinAdministratorsSid)?;
    let descriptor = Descriptor::of(file)?;
    let trusted = |sid: PSID| {
        [user.as_psid(), system.as_psid(), admins.as_psid()]
            .into_iter()
            .any(|known| unsafe { EqualSid(sid, known) } != 0)
    };
    if !descriptor.owner.is_null() && !trusted(descriptor.owner) {
        return Ok(Err(Open::OtherOwner));
    }
    if descriptor.dacl.is_null() {
        return Ok(Err(Open::NoDacl));
    }
    let mut others = Vec::new();
    for grant in descriptor.grants()? {
        match grant {
            Grant::To(sid) => {
                let is_owner =
                    !descriptor.owner.is_null() && unsafe { EqualSid(sid, descriptor.owner) } != 0;
                if !is_owner && !trusted(sid) {
                    others.push(sid_name(sid));
                }
            }
            Grant::Unknown(kind) => others.push(format!("an entry of unknown type {kind}")),
        }
    }
    Ok(if others.is_empty() {
        Ok(())
    } else {
        Err(Open::Granted(others))
    })
}

/// Changing an access list takes a handle opened with this right.
const WRITE_DAC: u32 = 0x0004_0000;
const READ_CONTROL: u32 = 0x0002_0000;
const FILE_GENERIC_WRITE: u32 = 0x0012_0116;

/// Creates a new file (failing if it exists) whose access list, its own and not inherited,
/// lets only the current user in, before a byte is written to it.
pub fn create_private(path: &Path) -> io::Result<File> {
    use std::os::windows::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .access_mode(FILE_GENERIC_WRITE | WRITE_DAC | READ_CONTROL)
        .open(path)?;
    if let Err(e) = set_private(file.as_raw_handle() as HANDLE, false) {
        // Created but not made private: it holds nothing yet, and must not stay.
        drop(file);
        std::fs::remove_file(path).ok();
        return Err(e);
    }
    Ok(file)
}

/// The same for a file that exists (a temp file someone else created).
pub fn make_private(path: &Path) -> io::Result<()> {
    use std::os::windows::fs::OpenOptionsExt;
    let handle = std::fs::OpenOptions::new()
        .access_mode(WRITE_DAC | READ_CONTROL)
        .open(path)?;
    set_private(handle.as_raw_handle() as HANDLE, false)
}

/// The same for a directory, whose new files and subdirectories inherit it.
pub fn make_private_dir(dir: &Path) -> io::Result<()> {
    use std::os::windows::fs::OpenOptionsExt;
    // A directory is opened as a handle only with backup semantics.
    const FILE_FLAG_BACKUP_SEMANTICS: u32 = 0x0200_0000;
    let handle = std::fs::OpenOptions::new()
        .access_mode(WRITE_DAC | READ_CONTROL)
        .custom_flags(FILE_FLAG_BACKUP_SEMANTICS)
        .open(dir)?;
    set_private(handle.as_raw_handle() as HANDLE, true)
}

fn set_private(handle: HANDLE, inherit: bool) -> io::Result<()> {
    let user = current_user()?;
    let sid = user.as_psid();
    let sid_len = unsafe { GetLengthSid(sid) };
    // ACL header, one ACE (whose SidStart overlaps the SID's first four bytes), the SID.
    let size = std::mem::size_of::<ACL>() + std::mem::size_of::<ACCESS_ALLOWED_ACE>()
        - std::mem::size_of::<u32>()
        + sid_len as usize;
    let mut buffer = vec![0u32; size.div_ceil(4)];
    let acl = buffer.as_mut_ptr().cast::<ACL>();
    let flags = if inherit {
        OBJECT_INHERIT_ACE | CONTAINER_INHERIT_ACE
    } else {
        0
    };
    let size = u32::try_from(buffer.len() * 4).map_err(io::Error::other)?;
    unsafe {
        if InitializeAcl(acl, size, ACL_REVISION) == 0
            || AddAccessAllowedAceEx(acl, ACL_REVISION, flags, FILE_ALL_ACCESS, sid) == 0
        {
            return Err(io::Error::last_os_error());
        }
        let status = SetSecurityInfo(
            handle,
            SE_FILE_OBJECT,
            DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            acl,
            std::ptr::null(),
        );
        if status != ERROR_SUCCESS {
            return Err(io::Error::from_raw_os_error(status.cast_signed()));
        }
    }
    Ok(())
}

/// A SID in a buffer of our own, aligned as the API wants it.
struct Sid(Vec<u64>);

impl Sid {
    fn as_psid(&self) -> PSID {
        // TOKEN_USER starts the buffer for the current user; a bare SID for well-known ones.
        self.0.as_ptr().cast_mut().cast()
    }
}

/// The current user's SID, copied out of the process token.
fn current_user() -> io::Result<Sid> {
    unsafe {
        let mut token: HANDLE = std::ptr::null_mut();
        if OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &raw mut token) == 0 {
            return Err(io::Error::last_os_error());
        }
        let mut needed = 0u32;
        GetTokenInformation(token, TokenUser, std::ptr::null_mut(), 0, &raw mut needed);
        let mut info = vec![0u64; (needed as usize).div_ceil(8).max(1)];
        let ok = GetTokenInformation(
            token,
            TokenUser,
            info.as_mut_ptr().cast(),
            needed,
            &raw mut needed,
        );
        CloseHandle(token);
        if ok == 0 {
            return Err(io::Error::last_os_error());
        }
        let user = &*info.as_ptr().cast::<TOKEN_USER>();
        let sid = user.User.Sid;
        let len = GetLengthSid(sid) as usize;
        let mut copy = vec![0u64; len.div_ceil(8)];
        std::ptr::copy_nonoverlapping(sid.cast::<u8>(), copy.as_mut_ptr().cast::<u8>(), len);
        Ok(Sid(copy))
    }
}

fn well_known(kind: i32) -> io::Result<Sid> {
    let mut buffer = vec![0u64; (SECURITY_MAX_SID_SIZE as usize).div_ceil(8)];
    let mut size = SECURITY_MAX_SID_SIZE;
    let ok = unsafe {
        CreateWellKnownSid(
            kind,
            std::ptr::null_mut(),
            buffer.as_mut_ptr().cast(),
            &raw mut size,
        )
    };
    if ok == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(Sid(buffer))
}

/// A file's owner and access list, as the API allocated them; freed on drop.
struct Descriptor {
    memory: PSECURITY_DESCRIPTOR,
    owner: PSID,
    dacl: *mut ACL,
}

/// An access-list entry that lets someone in.
enum Grant {
    To(PSID),
    /// An entry of a type this code does not know (its number): it may allow anything.
    Unknown(u8),
}

impl Descriptor {
    /// Of the open file itself: a path could name another file by the time it is looked up.
    fn of(file: &File) -> io::Result<Descriptor> {
        let mut found = Descriptor {
            memory: std::ptr::null_mut(),
            owner: std::ptr::null_mut(),
            dacl: std::ptr::null_mut(),
        };
        let status = unsafe {
            GetSecurityInfo(
                file.as_raw_handle() as HANDLE,
                SE_FILE_OBJECT,
                OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
                &raw mut found.owner,
                std::ptr::null_mut(),
                &raw mut found.dacl,
                std::ptr::null_mut(),
                &raw mut found.memory,
            )
        };
        if status != ERROR_SUCCESS {
            return Err(io::Error::from_raw_os_error(status.cast_signed()));
        }
        Ok(found)
    }

    /// Every entry that allows something on the file itself, whatever its rights: plain,
    /// callback (conditional) and object entries alike. Deny entries only take rights away;
    /// inherit-only ones apply to children, not to the file.
    fn grants(&self) -> io::Result<Vec<Grant>> {
        let mut info = ACL_SIZE_INFORMATION::default();
        let ok = unsafe {
            GetAclInformation(
                self.dacl,
                (&raw mut info).cast(),
                u32::try_from(std::mem::size_of::<ACL_SIZE_INFORMATION>()).unwrap_or(u32::MAX),
                AclSizeInformation,
            )
        };
        if ok == 0 {
            return Err(io::Error::last_os_error());
        }
        let mut grants = Vec::new();
        for index in 0..info.AceCount {
            let mut ace: *mut core::ffi::c_void = std::ptr::null_mut();
            if unsafe { GetAce(self.dacl, index, &raw mut ace) } == 0 {
                return Err(io::Error::last_os_error());
            }
            let header = unsafe { &*ace.cast::<ACE_HEADER>() };
            if u32::from(header.AceFlags) & INHERIT_ONLY_ACE != 0 {
                continue;
            }
            let grant = match u32::from(header.AceType) {
                ACCESS_DENIED_ACE_TYPE
                | ACCESS_DENIED_CALLBACK_ACE_TYPE
                | ACCESS_DENIED_OBJECT_ACE_TYPE
                | ACCESS_DENIED_CALLBACK_OBJECT_ACE_TYPE => continue,
                // A callback entry is laid out as a plain one, its condition after the SID.
                ACCESS_ALLOWED_ACE_TYPE | ACCESS_ALLOWED_CALLBACK_ACE_TYPE => {
                    let allowed = ace.cast::<ACCESS_ALLOWED_ACE>();
                    Grant::To(unsafe { (&raw mut (*allowed).SidStart).cast() })
                }
                ACCESS_ALLOWED_OBJECT_ACE_TYPE | ACCESS_ALLOWED_CALLBACK_OBJECT_ACE_TYPE => {
                    Grant::To(unsafe { object_ace_sid(ace.cast::<ACCESS_ALLOWED_OBJECT_ACE>()) })
                }
                _ => Grant::Unknown(header.AceType),
            };
            grants.push(grant);
        }
        Ok(grants)
    }
}

/// The SID of an object entry: its two GUIDs are there only when its flags say so, and the SID
/// moves up in their place when they are not.
unsafe fn object_ace_sid(ace: *mut ACCESS_ALLOWED_OBJECT_ACE) -> PSID {
    const GUID_BYTES: usize = std::mem::size_of::<windows_sys::core::GUID>();
    unsafe {
        let flags = (*ace).Flags;
        let mut skipped = 0;
        for present in [ACE_OBJECT_TYPE_PRESENT, ACE_INHERITED_OBJECT_TYPE_PRESENT] {
            if flags & present == 0 {
                skipped += GUID_BYTES;
            }
        }
        (&raw mut (*ace).SidStart).cast::<u8>().sub(skipped).cast()
    }
}

impl Drop for Descriptor {
    fn drop(&mut self) {
        if !self.memory.is_null() {
            unsafe { LocalFree(self.memory as HLOCAL) };
        }
    }
}

/// `Everyone`, `Users`, … for the usual suspects; the SID string for anyone else.
fn sid_name(sid: PSID) -> String {
    let mut text: *mut u16 = std::ptr::null_mut();
    if unsafe { ConvertSidToStringSidW(sid, &raw mut text) } == 0 || text.is_null() {
        return "an unknown account".into();
    }
    let string = unsafe {
        // A SID string is short ("S-1-5-21-…"); the bound only guards a missing terminator.
        let len = (0..256).take_while(|&i| *text.add(i) != 0).count();
        let s = String::from_utf16_lossy(std::slice::from_raw_parts(text, len));
        LocalFree(text as HLOCAL);
        s
    };
    match string.as_str() {
        "S-1-1-0" => "Everyone".into(),
        "S-1-5-11" => "Authenticated Users".into(),
        "S-1-5-32-545" => "Users".into(),
        "S-1-5-32-546" => "Guests".into(),
        _ => string,
    }
}
