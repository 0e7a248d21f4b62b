use std::process::ExitCode;

fn main() -> ExitCode {
    helmwasm::cli::main(std::env::args_os()).into()
}
