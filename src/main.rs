fn main() -> std::process::ExitCode {
    vault::cli::run(std::env::args_os())
}
