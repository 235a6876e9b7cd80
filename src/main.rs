//! The `vault` command: its command line and terminal interface, over the library.

mod cli;
mod tui;

fn main() -> std::process::ExitCode {
    cli::run(std::env::args_os())
}
